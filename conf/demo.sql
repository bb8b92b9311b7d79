-- Demo data for the local stack.  conf/stack.sh loads it once, right after
-- it creates its own database (never into a database named by
-- DATABASE_URL), with the psql variable superuser = $MM_SUPERUSER.
-- Passwords are disabled ("!disabled" is no password hash): sign in with
-- a token from `mm-api -T <username>`.

\if :{?superuser}
\else
\set superuser admin
\endif

INSERT INTO users (username, email, full_name, hashed_password, is_active,
    is_superuser)
VALUES
	(:'superuser', :'superuser' || '@example.invalid', 'Demo Administrator',
	    '!disabled', true, true),
	('alice', 'alice@example.invalid', 'Alice Example', '!disabled', true,
	    false),
	('bob', 'bob@example.invalid', 'Bob Inactive', '!disabled', false, false)
ON CONFLICT (username) DO NOTHING;

-- Names differ in case so that ORDER BY name COLLATE "C" is observable.
INSERT INTO collections (id, name, description, owner_id, vector_store_name,
    embedding_model, quantization, status, document_count, vector_count)
SELECT c.id, c.name, c.description, u.id, c.vector_store_name,
    c.embedding_model, c.quantization, 'ready', c.docs, c.vectors
FROM (VALUES
	('3f0c6c0e-5a3e-4f4e-9d0b-1c2a8e7b6d01', 'Engineering Wiki',
	    'Internal engineering pages', :'superuser',
	    'col_3f0c6c0e_5a3e_4f4e_9d0b_1c2a8e7b6d01',
	    'Qwen/Qwen3-Embedding-0.6B', 'float16', 120, 4800),
	('8a61b1d2-2c57-4b8e-a0a4-5e0f3c9d7e02', 'customer-support',
	    'Support tickets and answers', 'alice',
	    'col_8a61b1d2_2c57_4b8e_a0a4_5e0f3c9d7e02',
	    'Qwen/Qwen3-Embedding-0.6B', 'int8', 310, 9200),
	('c2d4e6f8-1a3b-4c5d-8e9f-0a1b2c3d4e03', 'research-papers',
	    'Papers and preprints', 'alice',
	    'col_c2d4e6f8_1a3b_4c5d_8e9f_0a1b2c3d4e03',
	    'BAAI/bge-large-en-v1.5', 'float16', 45, 3900),
	('5b7d9f1a-3c5e-4a7b-9d1f-2b4d6f8a0c04', 'quick-notes',
	    'Short personal notes', 'alice',
	    'col_5b7d9f1a_3c5e_4a7b_9d1f_2b4d6f8a0c04',
	    'sentence-transformers/all-MiniLM-L6-v2', 'float32', 80, 160)
) AS c (id, name, description, owner, vector_store_name, embedding_model,
    quantization, docs, vectors)
JOIN users u ON u.username = c.owner
ON CONFLICT DO NOTHING;

INSERT INTO user_preferences (user_id, default_embedding_model,
    default_quantization)
SELECT id, 'BAAI/bge-large-en-v1.5', 'float16' FROM users
WHERE username = 'alice'
ON CONFLICT (user_id) DO NOTHING;

INSERT INTO llm_provider_configs (user_id, high_quality_provider,
    high_quality_model, low_quality_provider, low_quality_model,
    default_temperature, default_max_tokens)
SELECT id, 'local', 'Qwen/Qwen2.5-1.5B-Instruct', 'anthropic',
    'claude-sonnet-4-5-20250929', 0.7, 1024 FROM users
WHERE username = :'superuser'
ON CONFLICT (user_id) DO NOTHING;
