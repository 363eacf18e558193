-- AlterTable
ALTER TABLE "Escalation" ADD COLUMN     "remindedAt" TIMESTAMPTZ(3),
ADD COLUMN     "reminders" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "CouncilSession" (
    "id" UUID NOT NULL,
    "workflowId" TEXT NOT NULL,
    "subtaskId" UUID NOT NULL,
    "projectId" UUID NOT NULL,
    "phase" TEXT NOT NULL,
    "problemType" TEXT NOT NULL,
    "strategy" TEXT NOT NULL,
    "members" TEXT[],
    "status" TEXT NOT NULL DEFAULT 'running',
    "winner" TEXT,
    "reason" TEXT,
    "applied" BOOLEAN NOT NULL DEFAULT false,
    "outcome" TEXT,
    "costUsd" DECIMAL(20,12) NOT NULL DEFAULT 0,
    "startedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "decidedAt" TIMESTAMPTZ(3),

    CONSTRAINT "CouncilSession_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CouncilCandidate" (
    "id" UUID NOT NULL,
    "sessionId" UUID NOT NULL,
    "model" TEXT NOT NULL,
    "provider" TEXT NOT NULL,
    "problemType" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "sha" TEXT,
    "passedCheck" BOOLEAN NOT NULL DEFAULT false,
    "testsPassed" INTEGER NOT NULL DEFAULT 0,
    "testsFailed" INTEGER NOT NULL DEFAULT 0,
    "diffLines" INTEGER NOT NULL DEFAULT 0,
    "confidence" DOUBLE PRECISION,
    "scores" JSONB,
    "summary" TEXT,
    "error" TEXT,
    "costUsd" DECIMAL(20,12) NOT NULL DEFAULT 0,
    "won" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "CouncilCandidate_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "CouncilSession_workflowId_key" ON "CouncilSession"("workflowId");

-- CreateIndex
CREATE INDEX "CouncilSession_subtaskId_startedAt_idx" ON "CouncilSession"("subtaskId", "startedAt" DESC);

-- CreateIndex
CREATE INDEX "CouncilSession_startedAt_idx" ON "CouncilSession"("startedAt" DESC);

-- CreateIndex
CREATE INDEX "CouncilCandidate_model_problemType_idx" ON "CouncilCandidate"("model", "problemType");

-- CreateIndex
CREATE UNIQUE INDEX "CouncilCandidate_sessionId_model_key" ON "CouncilCandidate"("sessionId", "model");

-- AddForeignKey
ALTER TABLE "CouncilCandidate" ADD CONSTRAINT "CouncilCandidate_sessionId_fkey" FOREIGN KEY ("sessionId") REFERENCES "CouncilSession"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
