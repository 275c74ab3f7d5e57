import type { ReactNode } from 'react';
import type { LibraryView } from './types';

interface LibraryListProps {
  libraries?: readonly LibraryView[];
  error?: string;
  selected?: string;
  onSelect: (id: string) => void;
}

export function LibraryList({ libraries, error, selected, onSelect }: LibraryListProps): ReactNode {
  return (
    <nav className="libraries" aria-labelledby="libraries-title">
      <h2 id="libraries-title">Libraries</h2>
      {error !== undefined && (
        <p className="error" role="alert">
          Could not load the libraries: {error}
        </p>
      )}
      {libraries && libraries.length > 0 && (
        <ul>
          {libraries.map((library) => (
            <li key={library.id}>
              <button
                type="button"
                className="library-button"
                aria-current={library.id === selected ? 'true' : undefined}
                onClick={() => onSelect(library.id)}
              >
                <span className="library-name">{library.name}</span>
                <span className="library-meta">
                  {library.type}, {library.role}
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
      {libraries?.length === 0 && <p>None yet.</p>}
    </nav>
  );
}
