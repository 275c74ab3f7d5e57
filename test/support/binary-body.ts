import type { Stream } from 'node:stream';

/** A supertest parser that keeps a response body as the bytes it was. */
export function binaryBody(
  response: Stream,
  callback: (error: Error | null, body: Buffer) => void,
): void {
  const chunks: Buffer[] = [];
  response.on('data', (chunk: Buffer) => chunks.push(chunk));
  response.on('end', () => callback(null, Buffer.concat(chunks)));
}
