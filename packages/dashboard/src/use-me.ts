import type { ReelaySession } from '@reelay/client';
import { useEffect, useState } from 'react';
import type { Me } from './types';

/** Who is signed in (GET /auth/me); undefined until it answers. */
export function useMe(session: ReelaySession): Me | undefined {
  const [me, setMe] = useState<Me>();
  useEffect(() => {
    let mounted = true;
    const read = async () => {
      // Without an answer the header shows no name; the libraries' request reports the failure.
      const answer = await session.request<Me>('/auth/me').catch(() => undefined);
      if (mounted && answer) setMe(answer);
    };
    void read();
    return () => {
      mounted = false;
    };
  }, [session]);
  return me;
}
