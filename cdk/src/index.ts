export * from './settings';
export * from './code';
export * from './props';
export * from './breaker';
export * from './target-role';
export * from './forward-alarms';
