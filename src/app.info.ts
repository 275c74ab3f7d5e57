/** What Reelay's API documents say of it: the OpenAPI one (/api/docs) and the AsyncAPI one. */
export const APP_INFO = {
  title: 'Reelay',
  version: '0.1.0',
  description: 'Media server core with a real-time event API (GET /sse and Socket.IO)',
} as const;
