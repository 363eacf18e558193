-- CreateEnum
CREATE TYPE "Risk" AS ENUM ('low', 'medium', 'high');

-- CreateEnum
CREATE TYPE "SubtaskStatus" AS ENUM ('pending', 'in_progress', 'testing', 'ready_for_review', 'blocked', 'failed', 'retrying', 'completed', 'cancelled');

-- CreateEnum
CREATE TYPE "ApprovalStatus" AS ENUM ('pending', 'approved', 'rejected', 'withdrawn');

-- CreateEnum
CREATE TYPE "EscalationStatus" AS ENUM ('open', 'resolved', 'withdrawn');

-- CreateTable
CREATE TABLE "Project" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "repoPath" TEXT NOT NULL,
    "repoUrl" TEXT,
    "baseBranch" TEXT NOT NULL DEFAULT 'main',
    "installCommand" TEXT,
    "testCommand" TEXT NOT NULL,
    "integrationTestCommand" TEXT,
    "territories" JSONB NOT NULL DEFAULT '{}',
    "settings" JSONB NOT NULL DEFAULT '{}',
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Project_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Subtask" (
    "id" UUID NOT NULL,
    "projectId" UUID NOT NULL,
    "key" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "risk" "Risk" NOT NULL,
    "status" "SubtaskStatus" NOT NULL DEFAULT 'pending',
    "phase" TEXT,
    "attempt" INTEGER NOT NULL DEFAULT 0,
    "workflowId" TEXT NOT NULL,
    "branch" TEXT,
    "spec" JSONB NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,
    "startedAt" TIMESTAMPTZ(3),
    "completedAt" TIMESTAMPTZ(3),

    CONSTRAINT "Subtask_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ActivityEvent" (
    "id" BIGSERIAL NOT NULL,
    "occurredAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "projectId" UUID,
    "subtaskId" UUID,
    "workflowId" TEXT,
    "actor" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "data" JSONB,
    "idempotencyKey" TEXT,

    CONSTRAINT "ActivityEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ModelCall" (
    "id" UUID NOT NULL,
    "occurredAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "projectId" UUID,
    "subtaskId" UUID,
    "workflowId" TEXT,
    "role" TEXT,
    "phase" TEXT,
    "provider" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "inputTokens" INTEGER NOT NULL,
    "outputTokens" INTEGER NOT NULL,
    "cachedTokens" INTEGER NOT NULL DEFAULT 0,
    "costUsd" DECIMAL(14,8) NOT NULL,
    "latencyMs" INTEGER NOT NULL,
    "outcome" TEXT NOT NULL DEFAULT 'ok',
    "error" TEXT,
    "idempotencyKey" TEXT,

    CONSTRAINT "ModelCall_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Approval" (
    "id" UUID NOT NULL,
    "subtaskId" UUID NOT NULL,
    "gate" TEXT NOT NULL,
    "status" "ApprovalStatus" NOT NULL DEFAULT 'pending',
    "requestedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "decidedAt" TIMESTAMPTZ(3),
    "decidedBy" TEXT,
    "comment" TEXT,
    "returnToPhase" TEXT,

    CONSTRAINT "Approval_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Escalation" (
    "id" UUID NOT NULL,
    "subtaskId" UUID NOT NULL,
    "phase" TEXT NOT NULL,
    "tier" INTEGER NOT NULL,
    "reason" TEXT NOT NULL,
    "options" JSONB NOT NULL,
    "recommendedOption" TEXT,
    "status" "EscalationStatus" NOT NULL DEFAULT 'open',
    "chosenOption" TEXT,
    "resolvedBy" TEXT,
    "comment" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "resolvedAt" TIMESTAMPTZ(3),

    CONSTRAINT "Escalation_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Project_name_key" ON "Project"("name");

-- CreateIndex
CREATE UNIQUE INDEX "Subtask_workflowId_key" ON "Subtask"("workflowId");

-- CreateIndex
CREATE INDEX "Subtask_projectId_status_updatedAt_idx" ON "Subtask"("projectId", "status", "updatedAt" DESC);

-- CreateIndex
CREATE INDEX "Subtask_status_updatedAt_idx" ON "Subtask"("status", "updatedAt" DESC);

-- CreateIndex
CREATE INDEX "Subtask_createdAt_idx" ON "Subtask"("createdAt" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "Subtask_projectId_key_key" ON "Subtask"("projectId", "key");

-- CreateIndex
CREATE UNIQUE INDEX "ActivityEvent_idempotencyKey_key" ON "ActivityEvent"("idempotencyKey");

-- CreateIndex
CREATE INDEX "ActivityEvent_occurredAt_idx" ON "ActivityEvent"("occurredAt" DESC);

-- CreateIndex
CREATE INDEX "ActivityEvent_projectId_occurredAt_idx" ON "ActivityEvent"("projectId", "occurredAt" DESC);

-- CreateIndex
CREATE INDEX "ActivityEvent_subtaskId_occurredAt_idx" ON "ActivityEvent"("subtaskId", "occurredAt" DESC);

-- CreateIndex
CREATE INDEX "ActivityEvent_kind_occurredAt_idx" ON "ActivityEvent"("kind", "occurredAt" DESC);

-- CreateIndex
CREATE INDEX "ActivityEvent_actor_occurredAt_idx" ON "ActivityEvent"("actor", "occurredAt" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "ModelCall_idempotencyKey_key" ON "ModelCall"("idempotencyKey");

-- CreateIndex
CREATE INDEX "ModelCall_occurredAt_idx" ON "ModelCall"("occurredAt" DESC);

-- CreateIndex
CREATE INDEX "ModelCall_projectId_occurredAt_idx" ON "ModelCall"("projectId", "occurredAt" DESC);

-- CreateIndex
CREATE INDEX "ModelCall_subtaskId_occurredAt_idx" ON "ModelCall"("subtaskId", "occurredAt" DESC);

-- CreateIndex
CREATE INDEX "ModelCall_model_occurredAt_idx" ON "ModelCall"("model", "occurredAt" DESC);

-- CreateIndex
CREATE INDEX "Approval_status_requestedAt_idx" ON "Approval"("status", "requestedAt");

-- CreateIndex
CREATE INDEX "Approval_subtaskId_requestedAt_idx" ON "Approval"("subtaskId", "requestedAt" DESC);

-- CreateIndex
CREATE INDEX "Escalation_status_createdAt_idx" ON "Escalation"("status", "createdAt");

-- CreateIndex
CREATE INDEX "Escalation_subtaskId_createdAt_idx" ON "Escalation"("subtaskId", "createdAt" DESC);

-- AddForeignKey
ALTER TABLE "Subtask" ADD CONSTRAINT "Subtask_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ActivityEvent" ADD CONSTRAINT "ActivityEvent_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ActivityEvent" ADD CONSTRAINT "ActivityEvent_subtaskId_fkey" FOREIGN KEY ("subtaskId") REFERENCES "Subtask"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ModelCall" ADD CONSTRAINT "ModelCall_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ModelCall" ADD CONSTRAINT "ModelCall_subtaskId_fkey" FOREIGN KEY ("subtaskId") REFERENCES "Subtask"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Approval" ADD CONSTRAINT "Approval_subtaskId_fkey" FOREIGN KEY ("subtaskId") REFERENCES "Subtask"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Escalation" ADD CONSTRAINT "Escalation_subtaskId_fkey" FOREIGN KEY ("subtaskId") REFERENCES "Subtask"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- The audit log is append-only: the database itself refuses to change or remove a recorded event,
-- whatever client asks.
CREATE FUNCTION "maestro_refuse_audit_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ActivityEvent is an append-only audit log: % is not allowed', TG_OP
    USING HINT = 'Record a new event instead of changing an old one.';
END;
$$;

CREATE TRIGGER "ActivityEvent_append_only"
  BEFORE UPDATE OR DELETE ON "ActivityEvent"
  FOR EACH ROW EXECUTE FUNCTION "maestro_refuse_audit_change"();

CREATE TRIGGER "ActivityEvent_no_truncate"
  BEFORE TRUNCATE ON "ActivityEvent"
  FOR EACH STATEMENT EXECUTE FUNCTION "maestro_refuse_audit_change"();
