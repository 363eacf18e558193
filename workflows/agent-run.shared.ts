/** The agent-run workflow's name, for the API and the tests: importing it loads no workflow code. */
export const AGENT_RUN_WORKFLOW = 'agentRunWorkflow';
