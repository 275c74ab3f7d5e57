import { engineSessionId, workerOfRequest, workerOfUrl } from './engine-session-id.js';

const request = (line: string) => Buffer.from(`${line}\r\nHost: x\r\n\r\n`);

describe('engine.io session ids of a cluster', () => {
  it('name the worker, and the primary reads it back from a request line', () => {
    const id = engineSessionId(3);
    expect(id).toMatch(/^w3-[\w-]{20}$/);
    expect(engineSessionId(3)).not.toBe(id);
    expect(
      workerOfRequest(request(`GET /socket.io/?EIO=4&transport=polling&sid=${id} HTTP/1.1`)),
    ).toBe(3);
    expect(
      workerOfRequest(request(`POST /socket.io/?sid=${engineSessionId(12)}&EIO=4 HTTP/1.1`)),
    ).toBe(12);
  });

  it('leave every other request to the turn of the workers', () => {
    expect(
      workerOfRequest(request('GET /socket.io/?EIO=4&transport=polling HTTP/1.1')),
    ).toBeUndefined();
    expect(workerOfRequest(request('GET /sse HTTP/1.1'))).toBeUndefined();
    expect(workerOfRequest(request('GET /x?sid=abc HTTP/1.1'))).toBeUndefined();
    expect(
      workerOfRequest(Buffer.from('GET /x HTTP/1.1\r\nReferer: /?sid=w1-\r\n\r\n')),
    ).toBeUndefined();
  });

  it('are read from a parsed URL the same way, for a request that reached a worker', () => {
    const id = engineSessionId(1);
    expect(workerOfUrl(`/socket.io/?EIO=4&transport=polling&sid=${id}`)).toBe(1);
    expect(workerOfUrl(`/socket.io/?sid=${id}`)).toBe(1);
    expect(workerOfUrl('/socket.io/?EIO=4&transport=polling')).toBeUndefined();
    expect(workerOfUrl('/x?xsid=w1-abc')).toBeUndefined();
    expect(workerOfUrl('/sid=w1-abc')).toBeUndefined();
  });
});
