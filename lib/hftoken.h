#ifndef MM_HFTOKEN_H
#define MM_HFTOKEN_H

#include <stddef.h>

#include "err.h"

/*
 * The hub token, found as huggingface_hub finds it: HF_TOKEN, then
 * HUGGING_FACE_HUB_TOKEN (an empty one falls through), then the file at
 * X($HF_TOKEN_PATH or hf_home/token), where X expands "~" and variables
 * through getenv_fn.  Each is cleaned the same way: \r and \n removed,
 * then the surrounding whitespace; an empty token is none.
 *
 * Sets *tok to the malloc'd token (the caller wipes and frees it) or to
 * NULL when there is none (a missing file is none).  Returns ERR_OK;
 * ERR_IO (the file cannot be read) or ERR_INVAL (it is too large or
 * binary) with a message in errbuf that names the file, never the token;
 * or ERR_NOMEM ("out of memory" in errbuf).
 */
enum err	 hftoken_load(const char *(*getenv_fn)(const char *),
		    const char *hf_home, char **tok, char *errbuf,
		    size_t errlen);

#endif
