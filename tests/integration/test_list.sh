#!/usr/bin/env bash
#
# GET /api/v2/models through nginx: the contract's shape and order, each
# query parameter, installed state and sizes from a fixture cache written
# as huggingface_hub writes it, cache_size (total / managed / unmanaged /
# partial), collections from real rows, active task ids from real Redis
# keys, the cache generation, 422 cases, and Redis down (with the service
# warning the page shows as a banner).

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/fixtures.sh
. "$(dirname "$0")/fixtures.sh"

stack_up
T=$(token_for admin)
C1=1111111111111111111111111111111111111111
C2=2222222222222222222222222222222222222222

api GET /api/v2/models "$T"
assert_eq 200 "$status" "list"
assert_json '.models | length == 32' "32 models"
assert_json '[.models[].model_type] | group_by(.) | map(length) == [23,4,3,2]' \
    "23 embedding, 4 llm, 3 reranker, 2 splade"
assert_json '[.models[] | [.model_type, .name]] as $k | $k == ($k | sort)' \
    "ordered by (model_type, name)"
assert_json '[.models[0] | keys_unsorted[]] == ["id","name","description","model_type","memory_mb","is_installed","size_on_disk_mb","used_by_collections","active_download_task_id","active_delete_task_id","embedding_details","llm_details","is_default_embedding_model","size_on_disk_bytes","active_operation","download_size_mb","installed_revision","latest_revision","update_available","update_size_mb","revisions","partial_size_mb","partial_size_bytes","verify_status"]' \
    "model fields in the contract's order, the page's appended"
assert_json '[keys_unsorted[]] == ["models","cache_size","hf_cache_scan_error","service_warnings"]' \
    "top-level fields"
assert_json '.service_warnings == []' "no service warning when all is well"
assert_json '[.models[] | select(.is_default_embedding_model) | [.id, .model_type]] == [["Qwen/Qwen3-Embedding-0.6B","embedding"]]' \
    "one system default embedding model: DEFAULT_EMBEDDING_MODEL's default"
assert_json '[.models[] | .is_default_embedding_model | type] | unique == ["boolean"]' \
    "is_default_embedding_model is a boolean everywhere"
assert_json '[.models[] | has("size_on_disk_bytes") and .size_on_disk_bytes == null] | all' \
    "size_on_disk_bytes null when not installed"
assert_json '.cache_size == null and .hf_cache_scan_error == null' \
    "no cache_size unless asked"
assert_json '.models[] | select(.id == "BAAI/bge-large-en-v1.5") | .embedding_details == {"dimension":1024,"max_sequence_length":512,"pooling_method":"mean","is_asymmetric":true,"query_prefix":"Represent this sentence for searching relevant passages: ","document_prefix":"","default_query_instruction":""}' \
    "embedding details"
assert_json '.models[] | select(.id == "Qwen/Qwen2.5-0.5B-Instruct") | .name == "Local - Qwen 2.5 0.5B" and .llm_details == {"context_window":32768} and .memory_mb == {"float16":1300,"int8":800,"int4":500} and .embedding_details == null' \
    "LLM entry"
assert_json '.models[] | select(.id == "Qwen/Qwen3-Embedding-0.6B") | .used_by_collections == ["Engineering Wiki","customer-support"]' \
    "collections in COLLATE \"C\" order from real rows"
assert_json '[.models[] | select(.model_type != "embedding") | .used_by_collections] | all(. == [])' \
    "non-embedding models have no collections"
assert_json '[.models[] | .is_installed] | all(. == false)' "empty cache"

# A fixture cache: a curated model with two revisions sharing a blob and a
# file in a subfolder; a dataset; a model that is not curated; a partial
# download of a curated model; junk at the top level.
fx_repo model BAAI/bge-small-en-v1.5 "$C1" config.json:1000 \
    model.safetensors:$((3 * MIB)) 1_Pooling/config.json:$((MIB / 2))
fx_repo model BAAI/bge-small-en-v1.5 "$C2" model.safetensors:$((3 * MIB))
fx_repo dataset org/data "$C1" train.parquet:$((2 * MIB))
fx_repo model someone/private-model "$C1" w.bin:$((5 * MIB))
fx_partial naver/splade-v3 $((MIB + MIB / 2))
echo junk >"$HF_HUB_CACHE/not-a-repo"

api GET "/api/v2/models?force_refresh_cache=true&include_cache_size=true" "$T"
assert_eq 200 "$status" "force_refresh_cache"
assert_json '.models[] | select(.id == "BAAI/bge-small-en-v1.5") | .is_installed == true and .size_on_disk_mb == 3' \
    "installed, size = unique blobs (3.5 MiB + 1000 B) // MiB"
assert_json '.models[] | select(.id == "BAAI/bge-small-en-v1.5") | .size_on_disk_bytes == '"$((3 * MIB + MIB / 2 + 1000))"'' \
    "size_on_disk_bytes: the exact bytes the MB floor comes from"
assert_json '.models[] | select(.id == "naver/splade-v3") | .size_on_disk_bytes == null' \
    "a partial download has no size_on_disk_bytes"
assert_json '.models[] | select(.id == "naver/splade-v3") | .is_installed == false and .size_on_disk_mb == null' \
    "a partial download is not installed"
assert_json '.cache_size == {"total_cache_size_mb":10,"managed_cache_size_mb":3,"unmanaged_cache_size_mb":7,"unmanaged_repo_count":2,"partial_cache_size_mb":1}' \
    "cache_size: total 10, managed 3, unmanaged 7 (2 repos), partial 1"
assert_json '.hf_cache_scan_error == null' "a junk entry is only a warning"

api GET "/api/v2/models?installed_only=true" "$T"
assert_json '[.models[].id] == ["BAAI/bge-small-en-v1.5"]' "installed_only"
api GET "/api/v2/models?model_type=splade" "$T"
assert_json '[.models[].id] == ["naver/splade-cocondenser-ensembledistil","naver/splade-v3"]' \
    "model_type=splade"
api GET "/api/v2/models?model_type=reranker&installed_only=1" "$T"
assert_json '.models == []' "model_type + installed_only"
for v in true True TRUE 1 yes on t y false 0 no off f n Y; do
	api GET "/api/v2/models?installed_only=$v&model_type=llm" "$T"
	assert_eq 200 "$status" "boolean '$v' accepted"
done

# 422s with FastAPI's shape.
api GET "/api/v2/models?model_type=bogus&installed_only=maybe" "$T"
assert_eq 422 "$status" "bad model_type and boolean"
assert_json '.detail == [{"type":"enum","loc":["query","model_type"],"msg":"Input should be '"'"'embedding'"'"', '"'"'llm'"'"', '"'"'reranker'"'"' or '"'"'splade'"'"'","input":"bogus"},{"type":"bool_parsing","loc":["query","installed_only"],"msg":"Input should be a valid boolean, unable to interpret input","input":"maybe"}]' \
    "both errors, in FastAPI's words"
assert_json '.reference | startswith("ERR-")' "422 has a reference"
api GET "/api/v2/models?include_cache_size=" "$T"
assert_eq 422 "$status" "an empty boolean is invalid"

# Active task ids come from the claims in Redis; the generation bump makes
# the next list fresh at once.
redis_cli SET model-manager:active:BAAI/bge-m3 \
    download:0b9c7e1e-1111-4222-8333-444455556666 EX 60 >/dev/null
redis_cli SET model-manager:active:BAAI/bge-small-en-v1.5 \
    delete:0b9c7e1e-1111-4222-8333-777777777777 EX 60 >/dev/null
rm -rf "$HF_HUB_CACHE/datasets--org--data"
redis_cli INCR model-manager:cache-generation >/dev/null
api GET "/api/v2/models?include_cache_size=true" "$T"
assert_json '.models[] | select(.id == "BAAI/bge-m3") | .active_download_task_id == "0b9c7e1e-1111-4222-8333-444455556666" and .active_delete_task_id == null' \
    "active download task id"
assert_json '.models[] | select(.id == "BAAI/bge-small-en-v1.5") | .active_delete_task_id == "0b9c7e1e-1111-4222-8333-777777777777" and .active_download_task_id == null' \
    "active delete task id"
assert_json '.cache_size.unmanaged_repo_count == 1 and .cache_size.total_cache_size_mb == 8' \
    "a generation bump drops the scan cache at once"
assert_json '[.models[] | select(.active_operation != null) | [.id, .active_operation]] == [["BAAI/bge-m3","download"],["BAAI/bge-small-en-v1.5","delete"]]' \
    "active_operation names the claim's operation"

# The second wave's operations show in the slot of their kind: repair and
# update as downloads, prune as a delete, verify and check in neither.
for c in repair:r1:download update:u1:download prune:p1:delete \
    verify:v1:none check:c1:none; do
	redis_cli SET model-manager:active:BAAI/bge-m3 "${c%:*}" EX 60 >/dev/null
	redis_cli INCR model-manager:cache-generation >/dev/null
	api GET /api/v2/models "$T"
	slot=${c##*:} id=${c#*:} id=${id%%:*}
	assert_json '.models[] | select(.id == "BAAI/bge-m3") | .active_operation == "'"${c%%:*}"'" and .active_download_task_id == (if "'"$slot"'" == "download" then "'"$id"'" else null end) and .active_delete_task_id == (if "'"$slot"'" == "delete" then "'"$id"'" else null end)' \
	    "a ${c%%:*} claim shows as active_operation, slot $slot"
done
redis_cli DEL model-manager:active:BAAI/bge-m3 >/dev/null

# A scan that fails keeps the last good result and says why.
chmod 000 "$HF_HUB_CACHE"
api GET "/api/v2/models?force_refresh_cache=true" "$T"
chmod 2775 "$HF_HUB_CACHE"
assert_eq 200 "$status" "unreadable cache: still 200"
assert_json '.hf_cache_scan_error | type == "string" and length > 0' \
    "hf_cache_scan_error set"
assert_json '.models[] | select(.id == "BAAI/bge-small-en-v1.5") | .is_installed == true' \
    "the last good scan is kept"

# list_without_warning: the list answers with no service warning.
list_without_warning()
{
	api GET /api/v2/models "$T"
	[ "$status" = 200 ] && [ "$(json '.service_warnings == []')" = true ]
}

# Redis down: the list degrades (null task ids), still 200.
assert_ok "Redis stopped" redis_down
api GET /api/v2/models "$T"
assert_eq 200 "$status" "Redis down: the list still answers"
assert_json '[.models[] | .active_download_task_id, .active_delete_task_id] | all(. == null)' \
    "Redis down: task ids null"
assert_json '.service_warnings == [{"service":"task_store","detail":"Task store unavailable: downloads and deletes cannot start, and progress cannot be read, until it is back."}]' \
    "Redis down: a task_store service warning for the page's banner"
assert_json '.models[] | select(.id == "BAAI/bge-small-en-v1.5") | .is_installed and .size_on_disk_bytes > 0' \
    "Redis down: installed state and sizes still there"
assert_ok "Redis started again" redis_up
assert_ok "the warning goes once Redis is back" wait_for 30 list_without_warning
