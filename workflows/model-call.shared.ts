/** The model-call workflow's name, shared by the workflow and the processes that start it. */
export const MODEL_CALL_WORKFLOW = 'modelCallWorkflow';
