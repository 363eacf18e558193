-- AlterTable
ALTER TABLE "Subtask" ADD COLUMN     "checklistDone" INTEGER,
ADD COLUMN     "checklistTotal" INTEGER;

-- CreateTable
CREATE TABLE "CheckRun" (
    "id" UUID NOT NULL,
    "subtaskId" UUID NOT NULL,
    "projectId" UUID NOT NULL,
    "workflowId" TEXT NOT NULL,
    "phase" TEXT NOT NULL,
    "attempt" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "sha" TEXT NOT NULL,
    "treeSha" TEXT NOT NULL,
    "passed" BOOLEAN NOT NULL,
    "reason" TEXT NOT NULL,
    "durationMs" INTEGER NOT NULL,
    "suites" JSONB NOT NULL,
    "startedAt" TIMESTAMPTZ(3) NOT NULL,
    "finishedAt" TIMESTAMPTZ(3) NOT NULL,
    "idempotencyKey" TEXT NOT NULL,

    CONSTRAINT "CheckRun_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "CheckRun_idempotencyKey_key" ON "CheckRun"("idempotencyKey");

-- CreateIndex
CREATE INDEX "CheckRun_subtaskId_startedAt_idx" ON "CheckRun"("subtaskId", "startedAt");

-- CreateIndex
CREATE INDEX "CheckRun_treeSha_idx" ON "CheckRun"("treeSha");

-- CreateIndex
CREATE INDEX "ActivityEvent_subtaskId_id_idx" ON "ActivityEvent"("subtaskId", "id");

-- CreateIndex
CREATE INDEX "Subtask_updatedAt_id_idx" ON "Subtask"("updatedAt" DESC, "id" DESC);

-- AddForeignKey
ALTER TABLE "CheckRun" ADD CONSTRAINT "CheckRun_subtaskId_fkey" FOREIGN KEY ("subtaskId") REFERENCES "Subtask"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Backfill: the board's checklist progress, from the newest event of each subtask that reported it.
UPDATE "Subtask" AS s
SET "checklistDone" = split_part(p.progress, '/', 1)::int, "checklistTotal" = split_part(p.progress, '/', 2)::int
FROM (
  SELECT DISTINCT ON ("subtaskId") "subtaskId", "data"->>'progress' AS progress
  FROM "ActivityEvent"
  WHERE "subtaskId" IS NOT NULL AND "data"->>'progress' ~ '^[0-9]+/[0-9]+$'
  ORDER BY "subtaskId", "id" DESC
) AS p
WHERE p."subtaskId" = s."id";
