#include <stdlib.h>
#include <string.h>

#include "array.h"

enum err
array_grow(void *vp, size_t *cap, size_t need, size_t size, size_t max)
{
	void	*v, *nv;
	size_t	 ncap;

	if (need <= *cap)
		return ERR_OK;
	if (need > max)
		return ERR_TOOBIG;
	for (ncap = *cap ? *cap : 16; ncap < need && ncap <= max / 2; )
		ncap *= 2;
	if (ncap < need || ncap > max)
		ncap = max;
	memcpy(&v, vp, sizeof(v));
	if ((nv = reallocarray(v, ncap, size)) == NULL)
		return ERR_NOMEM;
	memcpy(vp, &nv, sizeof(nv));
	*cap = ncap;
	return ERR_OK;
}
