/** The least severe lines written: LOG_LEVEL. */
export type LogThreshold = 'error' | 'warn' | 'info' | 'debug';
export const LOG_THRESHOLDS: readonly LogThreshold[] = ['error', 'warn', 'info', 'debug'];

/** `json`: one JSON object per line; `pretty`: one line for a human; `auto`: pretty on a terminal. */
export type LogFormatSetting = 'auto' | 'json' | 'pretty';
export const LOG_FORMATS: readonly LogFormatSetting[] = ['auto', 'json', 'pretty'];

/** How a process logs, from LOG_LEVEL and LOG_FORMAT. */
export interface LogSettings {
  level: LogThreshold;
  format: LogFormatSetting;
}
