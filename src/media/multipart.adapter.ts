import { BadRequestException, Injectable, PayloadTooLargeException } from '@nestjs/common';
import busboy from 'busboy';
import type { IncomingMessage } from 'node:http';
import { Transform, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** The client went away before the body was complete (nobody reads the answer). */
export class UploadAbortedError extends BadRequestException {
  constructor() {
    super('The client closed the connection before the upload was complete');
  }
}

export interface FileStart {
  clientName: string;
  declaredMimetype: string;
  /** The text fields sent before the file. */
  fields: Readonly<Record<string, string>>;
}

export interface ReceiveOptions {
  maxFileBytes: number;
  /** The text fields a request may carry, besides the one file in the field `file`. */
  fieldNames: ReadonlySet<string>;
  maxFieldBytes: number;
  /** Where the file's bytes go; throwing refuses the upload. */
  onFileStart(start: FileStart): Writable;
  onBytes(receivedBytes: number): void;
  /** Stops the reading of the body: the upload fails with the signal's reason. */
  signal?: AbortSignal;
}

export interface ReceivedFile {
  clientName: string;
  declaredMimetype: string;
  bytes: number;
  /** Every text field, before or after the file. */
  fields: Record<string, string>;
}

/**
 * Reads a `multipart/form-data` body with busboy and streams its one file into the writable the
 * caller supplies, with backpressure all the way to the socket: memory stays flat whatever the
 * size. It rejects with a 400 (malformed, unexpected parts), a 413 (past `maxFileBytes`),
 * UploadAbortedError or the reason of an aborted `signal`, and only once the writable is closed,
 * so the caller may then remove it.
 */
@Injectable()
export class MultipartAdapter {
  async receiveFile(request: IncomingMessage, options: ReceiveOptions): Promise<ReceivedFile> {
    options.signal?.throwIfAborted();
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: request.headers,
        // File names are UTF-8 (as browsers send them), not latin1; `filename*` is decoded too.
        defParamCharset: 'utf8',
        limits: {
          files: 1,
          fields: options.fieldNames.size,
          parts: options.fieldNames.size + 1,
          fieldNameSize: 100,
          fieldSize: options.maxFieldBytes,
          // busboy flags a file that reaches its limit; one byte more lets `maxFileBytes` pass.
          fileSize: options.maxFileBytes + 1,
        },
      });
    } catch {
      throw new BadRequestException('The body must be multipart/form-data with a boundary');
    }

    const fields: Record<string, string> = {};
    let file: { stream: Readable; start: FileStart; transfer: Promise<void> } | undefined;
    let bytes = 0;
    let failed = false;
    const parsing = new Promise<void>((resolve, rejectParsing) => {
      const reject = (error: Error) => {
        failed = true;
        rejectParsing(error);
      };
      const refuse = (message: string) => reject(new BadRequestException(message));
      parser.on('field', (name: string, value: string, info: busboy.FieldInfo) => {
        if (!options.fieldNames.has(name))
          return refuse(`Unexpected field "${name.slice(0, 100)}"`);
        if (info.valueTruncated) return refuse(`Field ${name} is longer than allowed`);
        fields[name] = value;
      });
      parser.on('file', (name: string, stream: Readable, info: busboy.FileInfo) => {
        if (failed || name !== 'file') {
          stream.resume();
          return refuse('Send the file in a field named "file"');
        }
        const start: FileStart = {
          clientName: info.filename ?? '',
          declaredMimetype: info.mimeType,
          fields: { ...fields },
        };
        let target: Writable;
        try {
          target = options.onFileStart(start);
        } catch (error) {
          stream.resume();
          return reject(error as Error);
        }
        stream.once('limit', () =>
          reject(
            new PayloadTooLargeException(`The file is larger than ${options.maxFileBytes} bytes`),
          ),
        );
        const counter = new Transform({
          transform(chunk: Buffer, _encoding, callback) {
            bytes += chunk.length;
            options.onBytes(bytes);
            callback(null, chunk);
          },
        });
        const transfer = pipeline(stream, counter, target);
        transfer.catch(reject);
        file = { stream, start, transfer };
      });
      parser.on('filesLimit', () => refuse('Send one file per upload'));
      parser.on('fieldsLimit', () => refuse('Too many fields'));
      parser.on('partsLimit', () => refuse('Too many parts'));
      parser.on('error', (error: Error) => refuse(`Malformed multipart body: ${error.message}`));
      parser.on('close', () => resolve());
      const { signal } = options;
      signal?.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
      request.on('error', () => reject(new UploadAbortedError()));
      request.on('close', () => {
        if (!request.complete) reject(new UploadAbortedError());
      });
      request.pipe(parser);
    });

    try {
      await parsing;
      if (!file) throw new BadRequestException('The body holds no file (field "file")');
      await file.transfer;
      return {
        clientName: file.start.clientName,
        declaredMimetype: file.start.declaredMimetype,
        bytes,
        fields,
      };
    } catch (error) {
      request.unpipe(parser);
      if (file) {
        // With an error: a stream that had already received its last chunk and is destroyed
        // without one leaves the pipeline waiting for an 'end' that never comes.
        file.stream.destroy(error instanceof Error ? error : new Error(String(error)));
        await file.transfer.catch(() => undefined);
      }
      throw error;
    }
  }
}
