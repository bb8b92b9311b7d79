// The HTTP client of /api/v2/models: every call sends the bearer token; a
// non-2xx answer becomes an ApiError carrying the body's `detail`.

const BASE = '/api/v2/models';

export class ApiError extends Error {
	constructor(status, detail, body) {
		super(detailText(detail) || ('HTTP ' + status));
		this.name = 'ApiError';
		this.status = status;
		this.detail = detail;
		this.body = body;
	}

	// The 409 conflict object, or null.
	get conflict() {
		if (this.status === 409 && this.detail &&
		    typeof this.detail === 'object' && !Array.isArray(this.detail))
			return this.detail;
		return null;
	}
}

// detailText(detail): a readable message from an error body's detail
// (a string, a conflict object or a list of validation errors).
export function detailText(detail) {
	if (detail === null || detail === undefined)
		return '';
	if (typeof detail === 'string')
		return detail;
	if (Array.isArray(detail)) {
		return detail.map((d) => (d && typeof d.msg === 'string') ?
		    d.msg : JSON.stringify(d)).join('; ');
	}
	if (typeof detail === 'object' && typeof detail.detail === 'string')
		return detail.detail;
	return JSON.stringify(detail);
}

// createApi({getToken, onAuthError}): the client.  onAuthError(error) is
// called for 401 and 403 answers (token missing, expired, not a superuser)
// before the error is thrown.
export function createApi({getToken, onAuthError}) {
	async function request(method, path, {query, body, signal} = {}) {
		let url = BASE + path;
		if (query) {
			const params = new URLSearchParams();
			for (const [k, v] of Object.entries(query)) {
				if (v !== undefined && v !== null)
					params.set(k, String(v));
			}
			const qs = params.toString();
			if (qs)
				url += '?' + qs;
		}
		const headers = {Accept: 'application/json'};
		const token = getToken();
		if (token)
			headers.Authorization = 'Bearer ' + token;
		const init = {method, headers, cache: 'no-store',
		    credentials: 'omit', signal};
		if (body !== undefined) {
			headers['Content-Type'] = 'application/json';
			init.body = JSON.stringify(body);
		}
		let res;
		try {
			res = await fetch(url, init);
		} catch (e) {
			if (e && e.name === 'AbortError')
				throw e;
			throw new ApiError(0, 'Cannot reach the server: ' +
			    (e && e.message ? e.message : 'network error'), null);
		}
		let data = null;
		const text = await res.text();
		if (text) {
			try {
				data = JSON.parse(text);
			} catch (e) {
				data = null;
			}
		}
		if (res.ok)
			return data;
		const detail = data && typeof data === 'object' && 'detail' in data ?
		    data.detail : (res.statusText || 'HTTP ' + res.status);
		const err = new ApiError(res.status, detail, data);
		if ((res.status === 401 || res.status === 403) && onAuthError)
			onAuthError(err);
		throw err;
	}

	return {
		listModels(includeCacheSize) {
			return request('GET', '', {query: includeCacheSize ?
			    {include_cache_size: 'true'} : undefined});
		},
		task(taskId) {
			return request('GET', '/tasks/' + encodeURIComponent(taskId));
		},
		cancelTask(taskId) {
			return request('POST', '/tasks/' +
			    encodeURIComponent(taskId) + '/cancel');
		},
		startDownload(modelId) {
			return request('POST', '/download', {body: {model_id: modelId}});
		},
		usage(modelId) {
			return request('GET', '/usage', {query: {model_id: modelId}});
		},
		// updateModel(modelId, {confirm, keepOld}): POST /update.
		updateModel(modelId, {confirm = false, keepOld = false} = {}) {
			return request('POST', '/update', {body: {model_id: modelId,
			    keep_old: keepOld, confirm}});
		},
		checkUpdates() {
			return request('POST', '/check-updates');
		},
		deleteModel(modelId, confirm) {
			return request('DELETE', '/cache', {query: {model_id: modelId,
			    confirm: confirm ? 'true' : 'false'}});
		},
		// The download policy: read, replaced (every field).
		policy() {
			return request('GET', '/policy');
		},
		putPolicy(body) {
			return request('PUT', '/policy', {body});
		},
		// startNow(taskId): a download waiting for its window runs now.
		startNow(taskId) {
			return request('POST', '/tasks/' +
			    encodeURIComponent(taskId) + '/start-now');
		},
		// The cache doctor: the report, a prune (a dry run without
		// confirm), a verify and a repair of a model.
		report() {
			return request('GET', '/cache/report');
		},
		prune(body) {
			return request('POST', '/cache/prune', {body});
		},
		verify(modelId) {
			return request('POST', '/verify', {body: {model_id: modelId}});
		},
		repair(modelId) {
			return request('POST', '/repair', {body: {model_id: modelId}});
		},
		// audit({limit, before, modelId}): a page of the audit trail,
		// newest first: {events, next_before}.
		audit({limit, before, modelId} = {}) {
			return request('GET', '/audit', {query: {limit,
			    before: before || undefined, model_id: modelId || undefined}});
		},
	};
}

// What the admin can do, for the server's short words (nginx's own
// errors and the 503s of a dependency that is down).
const ADVICE = {
	'Database unavailable': 'The database is unavailable, so the list cannot ' +
	    'be loaded and nothing can be changed. Try again once it is back.',
	'Task store unavailable': 'The task store is unavailable: downloads and ' +
	    'deletes cannot start until it is back. Try again in a minute.',
	'Failed to enqueue background download task': 'The download could not ' +
	    'be queued (the task store failed). Try again in a minute.',
	'Failed to enqueue background delete task': 'The delete could not be ' +
	    'queued (the task store failed). Try again in a minute.',
};

// The answers of nginx itself when the service behind it is gone.
const GATEWAY = new Set([502, 503, 504]);
const GATEWAY_WORDS = new Set(['Bad Gateway', 'Service Unavailable',
    'Service Temporarily Unavailable', 'Gateway Timeout', 'Gateway Time-out']);

// explainError(err): a sentence an admin can act on, for any error of a
// request (the server's own words when they already are such a sentence).
export function explainError(err) {
	if (!err)
		return 'Something went wrong. Try again.';
	if (!(err instanceof ApiError))
		return err.message || 'Something went wrong. Try again.';
	const text = detailText(err.detail);
	const ref = err.body && typeof err.body.reference === 'string' ?
	    ' (reference ' + err.body.reference + ')' : '';
	if (err.status === 0)
		return 'The server cannot be reached. Check the network ' +
		    'connection, then try again.';
	if (ADVICE[text])
		return ADVICE[text];
	if (GATEWAY.has(err.status) && (GATEWAY_WORDS.has(text) || !text))
		return 'The Model Manager service is not answering (HTTP ' +
		    err.status + '). Try again in a minute; if it goes on, the ' +
		    'service needs to be restarted on its host' + ref + '.';
	if (err.status >= 500)
		return 'The server failed (HTTP ' + err.status + '): ' + text +
		    '. Try again; if it goes on, report it' + ref + '.';
	return text || 'HTTP ' + err.status;
}
