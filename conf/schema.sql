-- The host application's tables that Model Manager reads (DESIGN.md,
-- "PostgreSQL"), for standalone use: conf/stack.sh applies this file to
-- its own cluster at every start, so every statement is idempotent.
-- Column names and types follow the host application; only a few of its
-- other columns are kept.  A real deployment points DATABASE_URL at the
-- host application's database instead and never runs this file.

CREATE TABLE IF NOT EXISTS users (
	id		serial PRIMARY KEY,
	username	varchar NOT NULL UNIQUE,
	email		varchar NOT NULL UNIQUE,
	full_name	varchar,
	hashed_password	varchar NOT NULL,
	is_active	boolean DEFAULT true,
	is_superuser	boolean NOT NULL DEFAULT false,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz DEFAULT now(),
	last_login	timestamptz
);

CREATE TABLE IF NOT EXISTS api_keys (
	id		varchar PRIMARY KEY,
	user_id		integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	name		varchar NOT NULL,
	key_hash	varchar NOT NULL UNIQUE,
	permissions	json,
	last_used_at	timestamptz,
	expires_at	timestamptz,
	created_at	timestamptz NOT NULL DEFAULT now(),
	is_active	boolean NOT NULL DEFAULT true
);
CREATE INDEX IF NOT EXISTS ix_api_keys_user_id ON api_keys (user_id);

CREATE TABLE IF NOT EXISTS collections (
	id		varchar PRIMARY KEY,
	name		varchar NOT NULL UNIQUE,
	description	text,
	owner_id	integer NOT NULL REFERENCES users (id),
	vector_store_name varchar NOT NULL UNIQUE,
	embedding_model	varchar NOT NULL,
	quantization	varchar NOT NULL DEFAULT 'float16',
	chunk_size	integer NOT NULL DEFAULT 1000,
	chunk_overlap	integer NOT NULL DEFAULT 200,
	is_public	boolean NOT NULL DEFAULT false,
	status		varchar NOT NULL DEFAULT 'pending',
	document_count	integer NOT NULL DEFAULT 0,
	vector_count	integer NOT NULL DEFAULT 0,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS ix_collections_owner_id ON collections (owner_id);
CREATE INDEX IF NOT EXISTS ix_collections_embedding_model
    ON collections (embedding_model);

CREATE TABLE IF NOT EXISTS user_preferences (
	id		serial PRIMARY KEY,
	user_id		integer NOT NULL UNIQUE
			    REFERENCES users (id) ON DELETE CASCADE,
	search_top_k	integer NOT NULL DEFAULT 10,
	search_mode	varchar(16) NOT NULL DEFAULT 'dense',
	search_use_reranker boolean NOT NULL DEFAULT false,
	default_embedding_model varchar(128),
	default_quantization varchar(16),
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS ix_user_preferences_default_embedding_model
    ON user_preferences (default_embedding_model);

CREATE TABLE IF NOT EXISTS llm_provider_configs (
	id		serial PRIMARY KEY,
	user_id		integer NOT NULL UNIQUE
			    REFERENCES users (id) ON DELETE CASCADE,
	high_quality_provider varchar(32),
	high_quality_model varchar(128),
	low_quality_provider varchar(32),
	low_quality_model varchar(128),
	default_temperature double precision,
	default_max_tokens integer,
	provider_config	json,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);
