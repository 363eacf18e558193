-- AlterTable
-- Full-text search over the audit log, kept by PostgreSQL itself (a generated column: no trigger, no
-- write path can forget it; rows are never updated, so the append-only trigger is not involved).
-- Prisma sees a nullable tsvector column (Unsupported("tsvector")? in the schema).
ALTER TABLE "ActivityEvent" ADD COLUMN "search" tsvector
  GENERATED ALWAYS AS (to_tsvector('english', translate("kind", '._', '  ') || ' ' || "actor" || ' ' || "message")) STORED;

-- CreateTable
CREATE TABLE "ActivityRun" (
    "id" BIGSERIAL NOT NULL,
    "activityType" TEXT NOT NULL,
    "taskQueue" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "workflowId" TEXT,
    "workflowType" TEXT,
    "attempt" INTEGER NOT NULL,
    "local" BOOLEAN NOT NULL DEFAULT false,
    "startedAt" TIMESTAMPTZ(3) NOT NULL,
    "endedAt" TIMESTAMPTZ(3) NOT NULL,
    "durationMs" INTEGER NOT NULL,
    "outcome" TEXT NOT NULL,
    "errorType" TEXT,

    CONSTRAINT "ActivityRun_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "ActivityRun_endedAt_idx" ON "ActivityRun"("endedAt" DESC);

-- CreateIndex
CREATE INDEX "ActivityRun_activityType_endedAt_idx" ON "ActivityRun"("activityType", "endedAt" DESC);

-- CreateIndex
CREATE INDEX "ActivityRun_role_endedAt_idx" ON "ActivityRun"("role", "endedAt" DESC);

-- CreateIndex
CREATE INDEX "ActivityEvent_search_idx" ON "ActivityEvent" USING GIN ("search");
