import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface UploadResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export interface StreamedUpload {
  /** The server's answer (it may come before the body is all sent, e.g. a 413). */
  response: Promise<UploadResponse>;
  /** Settles when the client stops sending: resolved when all was sent, rejected otherwise. */
  sent: Promise<void>;
}

export interface UploadSpec {
  token: string;
  fields?: Record<string, string>;
  fileName: string;
  mimetype?: string;
  /** The file's bytes; an async generator keeps them out of memory. */
  file: AsyncIterable<Buffer> | Iterable<Buffer>;
  /** Bytes of the file, to send a Content-Length; chunked when absent. */
  fileSize?: number;
}

/** `count` chunks of `chunkSize` bytes, all views of one buffer, so nothing piles up. */
export async function* generatedBytes(
  count: number,
  chunkSize = 256 * 1024,
  afterChunk?: (index: number) => void,
): AsyncGenerator<Buffer> {
  const chunk = randomBytes(chunkSize);
  for (let index = 0; index < count; index += 1) {
    yield chunk;
    afterChunk?.(index);
  }
}

/** A real multipart/form-data POST over node:http, streaming the file from an iterable. */
export function streamUpload(baseUrl: string, path: string, spec: UploadSpec): StreamedUpload {
  const boundary = `----reelay-test-${randomBytes(8).toString('hex')}`;
  const fieldParts = Object.entries(spec.fields ?? {})
    .map(
      ([name, value]) =>
        `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
    )
    .join('');
  const head = Buffer.from(
    `${fieldParts}--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${spec.fileName}"\r\n` +
      `Content-Type: ${spec.mimetype ?? 'application/octet-stream'}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const headers: Record<string, string> = {
    Authorization: `Bearer ${spec.token}`,
    'Content-Type': `multipart/form-data; boundary=${boundary}`,
  };
  if (spec.fileSize !== undefined) {
    headers['Content-Length'] = String(head.length + spec.fileSize + tail.length);
  }
  const url = new URL(path, baseUrl);
  const request = httpRequest(url, { method: 'POST', headers });
  const response = new Promise<UploadResponse>((resolve, reject) => {
    request.once('response', (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON: keep the text
        }
        resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, body });
      });
      incoming.on('error', reject);
    });
    request.once('error', reject);
  });
  const body = Readable.from(
    (async function* () {
      yield head;
      yield* spec.file;
      yield tail;
    })(),
  );
  const sent = pipeline(body, request);
  // The caller decides what a failed send means; keep it from being an unhandled rejection.
  sent.catch(() => undefined);
  response.catch(() => undefined);
  return { response, sent };
}
