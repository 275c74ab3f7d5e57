import { type ReactNode, useId } from 'react';
import type { Task, TaskState } from './activity';

const STATE_TEXT: Record<TaskState, string> = {
  running: 'In progress',
  done: 'Done',
  failed: 'Failed',
};

/** One labelled progress bar; its detail line describes it. */
export function TaskProgress({ task }: { task: Task }): ReactNode {
  const id = useId();
  return (
    <div className={`task task-${task.state}`} data-kind={task.kind} data-state={task.state}>
      <div className="task-head">
        <span className="task-label" id={`${id}-label`}>
          {task.label}
        </span>
        <span className="task-state">{STATE_TEXT[task.state]}</span>
      </div>
      <progress
        max={100}
        value={task.percent}
        aria-labelledby={`${id}-label`}
        aria-describedby={`${id}-detail`}
      />
      <p className="task-detail" id={`${id}-detail`}>
        {task.detail}
      </p>
    </div>
  );
}
