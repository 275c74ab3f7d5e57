import type { ReactNode } from 'react';
import type { Task } from './activity';
import { TaskProgress } from './task-progress';

interface TaskListProps {
  title: string;
  /** What shows while there is no task. */
  empty: string;
  tasks: readonly Task[];
  idPrefix: string;
}

/** Progress bars, newest first. */
export function TaskList({ title, empty, tasks, idPrefix }: TaskListProps): ReactNode {
  const titleId = `${idPrefix}-tasks-title`;
  return (
    <section className="tasks" aria-labelledby={titleId}>
      <h3 id={titleId}>{title}</h3>
      {tasks.length === 0 ? (
        <p className="quiet">{empty}</p>
      ) : (
        <ul>
          {tasks.toReversed().map((task) => (
            <li key={task.key}>
              <TaskProgress task={task} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
