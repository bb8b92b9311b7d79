#!/usr/bin/env bash
#
# Safe removal through nginx: the usage preflight with real rows and a
# fake VecPipe, every answer of DELETE /cache in the contract's order, the
# delete job (collections re-checked, symlink traps, partial downloads
# reclaimed, shared blobs), cross-operation exclusion and cancel.

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/fixtures.sh
. "$(dirname "$0")/fixtures.sh"

start_fake vecpipe node "$IT_ROOT/tests/fakevecpipe/fakevecpipe.js" --port 0
VP=$FAKE_URL
export SEARCH_API_URL=$VP
stack_up
T=$(token_for admin)
C1=1111111111111111111111111111111111111111
C2=2222222222222222222222222222222222222222

# --- usage ------------------------------------------------------------

vecpipe_mode ok '[{"model_name":"Qwen/Qwen3-Embedding-0.6B","model_type":"embedding","quantization":"float16","location":"gpu","memory_mb":1200,"idle_seconds":3,"use_count":9},{"model_name":"Qwen/Qwen3-Embedding-0.6B","model_type":"reranker"},{"model_name":"other","model_type":"llm"}]'
fx_repo model Qwen/Qwen3-Embedding-0.6B "$C1" model.safetensors:$((2 * MIB))
api GET "/api/v2/models/usage?model_id=Qwen/Qwen3-Embedding-0.6B" "$T"
assert_eq 200 "$status" "usage"
assert_json '[keys_unsorted[]] == ["model_id","is_installed","size_on_disk_mb","estimated_freed_size_mb","blocked_by_collections","user_preferences_count","llm_config_count","is_default_embedding_model","loaded_in_vecpipe","loaded_vecpipe_model_types","hf_cache_scan_error","vecpipe_query_error","warnings","can_delete","requires_confirmation","estimated_freed_bytes"]' \
    "usage fields in the contract's order, the page's appended"
assert_json '.is_installed and .size_on_disk_mb == 2 and .estimated_freed_size_mb == 2' \
    "installed, 2 MB, frees 2 MB"
assert_eq "$(du -B1 -s "$(repo_dir Qwen/Qwen3-Embedding-0.6B)" | cut -f1)" \
    "$(json .estimated_freed_bytes)" "estimated_freed_bytes: what the repo folder holds, exactly"
assert_json '.blocked_by_collections == ["Engineering Wiki","customer-support"]' \
    "collections blocking it, C order"
assert_json '.is_default_embedding_model and .loaded_in_vecpipe and .loaded_vecpipe_model_types == ["embedding","reranker"] and .vecpipe_query_error == null' \
    "default model, loaded in VecPipe (distinct types)"
assert_json '.warnings == ["Model is used by 2 collection(s): Engineering Wiki, customer-support","This is the system default embedding model","Model is currently loaded in VecPipe GPU memory (embedding, reranker)"]' \
    "warnings in the contract's order"
assert_json '.can_delete == false and .requires_confirmation == false' \
    "blocked: cannot delete, no confirmation"

vecpipe_mode ok '[]'
api GET "/api/v2/models/usage?model_id=BAAI/bge-large-en-v1.5" "$T"
assert_json '.user_preferences_count == 1 and .llm_config_count == 0 and .is_installed == false and .size_on_disk_mb == null and .estimated_freed_size_mb == 0' \
    "preference count (aggregate), not installed"
api GET "/api/v2/models/usage?model_id=Qwen/Qwen2.5-1.5B-Instruct" "$T"
assert_json '.llm_config_count == 1 and .warnings == ["1 LLM configuration(s) reference this model"] and .can_delete and .requires_confirmation' \
    "LLM config reference warns and asks for confirmation"
assert_json '[.. | strings] | map(test("admin|alice")) | any | not' \
    "no user names in the answer"
for mode in fail hang garbage shape; do
	vecpipe_mode "$mode"
	api GET "/api/v2/models/usage?model_id=BAAI/bge-small-en-v1.5" "$T"
	assert_eq 200 "$status" "VecPipe $mode: still 200"
	assert_json '.loaded_in_vecpipe == false and (.vecpipe_query_error | length > 0) and .warnings == ["Unable to verify whether the model is currently loaded in VecPipe (status unknown)"]' \
	    "VecPipe $mode: status unknown warning"
done
vecpipe_mode ok '[]'
api GET "/api/v2/models/usage" "$T"
assert_eq 422 "$status" "usage without model_id"
assert_json '.detail == [{"type":"missing","loc":["query","model_id"],"msg":"Field required","input":null}]' \
    "missing model_id"
api GET "/api/v2/models/usage?model_id=org/not-curated" "$T"
assert_eq 200 "$status" "usage of a model that is not curated, as the reference"
assert_json '.model_id == "org/not-curated" and .is_installed == false and .can_delete == true' \
    "... answered like any other model"

# --- DELETE: the checks in the contract's order -------------------------

api DELETE "/api/v2/models/cache?model_id=../../etc" "$T"
assert_eq 400 "$status" "not curated"
assert_json ".detail == \"Model '../../etc' is not in the curated model list\"" \
    "not curated detail"
api DELETE "/api/v2/models/cache?model_id=BAAI/bge-base-en-v1.5" "$T"
assert_eq 200 "$status" "nothing in the cache"
assert_json '. == {"task_id":null,"model_id":"BAAI/bge-base-en-v1.5","operation":"delete","status":"not_installed","warnings":[]}' \
    "not_installed answer"
api DELETE "/api/v2/models/cache?model_id=Qwen/Qwen3-Embedding-0.6B&confirm=true" "$T"
assert_eq 409 "$status" "in use by collections, even with confirm"
assert_json '.detail.conflict_type == "in_use_block" and .detail.detail == "Cannot delete: model is used by 2 collection(s)" and .detail.blocked_by_collections == ["Engineering Wiki","customer-support"] and .detail.model_id == "Qwen/Qwen3-Embedding-0.6B"' \
    "in_use_block conflict object"
assert_json '.detail | [keys_unsorted[]] == ["conflict_type","detail","model_id","active_operation","active_task_id","blocked_by_collections","requires_confirmation","warnings"]' \
    "conflict object fields"

fx_repo model Qwen/Qwen2.5-1.5B-Instruct "$C1" model.safetensors:$((MIB + 5))
api DELETE "/api/v2/models/cache?model_id=Qwen/Qwen2.5-1.5B-Instruct" "$T"
assert_eq 409 "$status" "warnings need confirmation"
assert_json '.detail.conflict_type == "requires_confirmation" and .detail.detail == "Deletion requires confirmation due to active usage" and .detail.requires_confirmation == true and .detail.warnings == ["1 LLM configuration(s) reference this model"]' \
    "requires_confirmation conflict"
assert_eq 1 "$(find "$(repo_dir Qwen/Qwen2.5-1.5B-Instruct)/blobs" -type f |
    wc -l)" "nothing removed before confirmation"

# A download claim blocks a delete, and the other way round.
redis_cli SET model-manager:active:Qwen/Qwen2.5-1.5B-Instruct \
    download:0b9c7e1e-1111-4222-8333-444455556666 EX 60 >/dev/null
api DELETE "/api/v2/models/cache?model_id=Qwen/Qwen2.5-1.5B-Instruct&confirm=true" "$T"
assert_eq 409 "$status" "delete while a download is active"
assert_json '.detail.conflict_type == "cross_op_exclusion" and .detail.detail == "Cannot delete: download is active for this model" and .detail.active_operation == "download" and .detail.active_task_id == "0b9c7e1e-1111-4222-8333-444455556666"' \
    "cross_op_exclusion for delete"
redis_cli DEL model-manager:active:Qwen/Qwen2.5-1.5B-Instruct >/dev/null

api DELETE "/api/v2/models/cache?model_id=Qwen/Qwen2.5-1.5B-Instruct&confirm=true" "$T"
assert_eq 200 "$status" "confirmed delete"
assert_json '.status == "pending" and .operation == "delete" and .warnings == ["1 LLM configuration(s) reference this model"]' \
    "pending with the warnings"
wait_task "$(json .task_id)" completed
api GET /api/v2/models "$T"
assert_json '.models[] | select(.id == "Qwen/Qwen2.5-1.5B-Instruct") | .is_installed == false and .active_delete_task_id == null' \
    "gone from the list at once, claim released"
assert_file_absent "$(repo_dir Qwen/Qwen2.5-1.5B-Instruct)" "repo folder removed"
assert_ok "other repos untouched" \
    test -d "$(repo_dir Qwen/Qwen3-Embedding-0.6B)/blobs"

# A delete claim blocks a download of a model that is not installed.
redis_cli SET model-manager:active:BAAI/bge-m3 \
    delete:0b9c7e1e-1111-4222-8333-555555555555 EX 60 >/dev/null
api POST /api/v2/models/download "$T" '{"model_id":"BAAI/bge-m3"}'
assert_eq 409 "$status" "download while deleting"
assert_json '.detail.conflict_type == "cross_op_exclusion" and .detail.detail == "Cannot download: delete is active for this model" and .detail.active_operation == "delete" and .detail.active_task_id == "0b9c7e1e-1111-4222-8333-555555555555"' \
    "cross_op_exclusion for download"
redis_cli DEL model-manager:active:BAAI/bge-m3 >/dev/null

# --- two revisions sharing blobs; a symlink trap ------------------------

victim=$IT_DIR/victim
mkdir -p "$victim"
echo precious >"$victim/file"
fx_repo model BAAI/bge-small-en-v1.5 "$C1" a.bin:1000 sub/b.bin:2000
fx_repo model BAAI/bge-small-en-v1.5 "$C2" a.bin:1000
ln -s "$victim" "$(repo_dir BAAI/bge-small-en-v1.5)/snapshots/$C1/evil"
ln -s / "$(repo_dir BAAI/bge-small-en-v1.5)/blobs/root"
ln -s "$victim/file" "$(repo_dir BAAI/bge-small-en-v1.5)/refs/pr"
api DELETE "/api/v2/models/cache?model_id=BAAI/bge-small-en-v1.5" "$T"
assert_eq 200 "$status" "no reference: no confirmation needed"
wait_task "$(json .task_id)" completed
assert_file_absent "$(repo_dir BAAI/bge-small-en-v1.5)" "both revisions gone"
assert_eq precious "$(cat "$victim/file")" "links were not followed"

# --- a partial download is reclaimable ----------------------------------

fx_partial naver/splade-v3 $((3 * MIB))
api GET "/api/v2/models/usage?model_id=naver/splade-v3" "$T"
assert_json '.is_installed == false and .estimated_freed_size_mb == 3 and .estimated_freed_bytes >= 3 * 1048576 and (.estimated_freed_bytes / 1048576 | floor) == 3' \
    "a partial download: not installed, frees 3 MB (estimated_freed_bytes too)"
api DELETE "/api/v2/models/cache?model_id=naver/splade-v3" "$T"
assert_json '.status == "pending"' "a partial download is deletable"
wait_task "$(json .task_id)" completed
assert_file_absent "$(repo_dir naver/splade-v3)" "partial download reclaimed"

# --- the job re-checks collections; cancel -------------------------------

# With the runner stopped, the first task is still handed to its blocked
# BLMOVE (it waits in the runner's processing list); the second one stays
# in the queue.
fx_repo model intfloat/e5-small-v2 "$C1" w.bin:100
fx_repo model intfloat/e5-base-v2 "$C1" w.bin:100
kill -STOP "$(pid_of jobd)"
api DELETE "/api/v2/models/cache?model_id=intfloat/e5-small-v2" "$T"
t_late=$(json .task_id)
queue_empty()
{
	[ "$(redis_cli LLEN model-manager:queue)" = 0 ]
}
assert_ok "the stopped runner took the first task" wait_for 5 queue_empty
api DELETE "/api/v2/models/cache?model_id=intfloat/e5-base-v2" "$T"
t_queued=$(json .task_id)
psql_exec "INSERT INTO collections (id, name, owner_id, vector_store_name,
    embedding_model, quantization) SELECT 'late', 'late-comer', id, 'v',
    'intfloat/e5-small-v2', 'float16' FROM users WHERE username = 'admin'"

api POST "/api/v2/models/tasks/$t_queued/cancel" "$T"
assert_eq 200 "$status" "cancel a pending task"
assert_json '.status == "cancelled" and .task_id == "'"$t_queued"'"' \
    "cancelled at once"
assert_redis_absent model-manager:active:intfloat/e5-base-v2 \
    "claim released"
assert_eq 0 "$(redis_cli LLEN model-manager:queue)" "off the queue"
api POST "/api/v2/models/tasks/$t_queued/cancel" "$T"
assert_eq 409 "$status" "cancel a finished task"
assert_json '.detail.conflict_type == "task_finished"' "task_finished"

kill -CONT "$(pid_of jobd)"
wait_task "$t_late" failed
assert_json '.error == "Cannot delete: model is used by 1 collection(s): late-comer"' \
    "a collection created after the request stops the job"
assert_ok "nothing deleted" test -e "$(repo_dir intfloat/e5-small-v2)/blobs"
assert_redis_absent model-manager:active:intfloat/e5-small-v2 \
    "claim released after the refusal"

api POST /api/v2/models/tasks/0b9c7e1e-1111-4222-8333-000000000000/cancel "$T"
assert_eq 404 "$status" "cancel an unknown task"
assert_json '.detail == "Task 0b9c7e1e-1111-4222-8333-000000000000 not found"' \
    "unknown task detail"
api GET /api/v2/models/tasks/not-a-uuid "$T"
assert_eq 422 "$status" "task id not a UUID"
assert_json '.detail[0].type == "uuid_parsing" and .detail[0].loc == ["path","task_id"]' \
    "uuid_parsing"
sleep 1
assert_ok "the cancelled delete never ran" \
    test -e "$(repo_dir intfloat/e5-base-v2)/blobs"
