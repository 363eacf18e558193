// The workflow bundle's entry: every workflow the maestro-workflows queue runs.
export { stackProbeWorkflow } from './stack-probe.js';
export { subtaskWorkflow } from './subtask/workflow.js';
export { modelCallWorkflow } from './model-call.js';
export { councilWorkflow } from './council.js';
export { agentRunWorkflow } from './agent-run.js';
