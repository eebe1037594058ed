/**
 * Page/limit as the SDK sends them (1-based page, default limit 10). The original node had no maximum on some
 * routes; this node caps every `limit` at the configured `api.maxPageSize` (silently: the SDK cannot handle a 400
 * for a page size it chose itself) and documents it in the OpenAPI document.
 */
export interface PageRequest {
  page: number;
  limit: number;
}

export interface Page extends PageRequest {
  offset: number;
}

export const DEFAULT_LIMIT = 10;

export function toPage(query: { page?: number; limit?: number }, maxPageSize: number): Page {
  const page = Math.max(1, Math.floor(query.page ?? 1));
  const limit = Math.min(maxPageSize, Math.max(1, Math.floor(query.limit ?? DEFAULT_LIMIT)));
  return { page, limit, offset: (page - 1) * limit };
}
