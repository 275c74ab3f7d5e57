import { ReelayClient, type ReelaySession } from '@reelay/client';
import { ReelayProvider } from '@reelay/client/react';
import { type ReactNode, useState } from 'react';
import { SignedInView } from './signed-in-view';

/** The signed-in part: one event stream for the whole page, open while it is shown. */
export function Dashboard({ session }: { session: ReelaySession }): ReactNode {
  const [client] = useState(() => new ReelayClient({ session }));
  return (
    <ReelayProvider client={client}>
      <SignedInView session={session} />
    </ReelayProvider>
  );
}
