-- AlterTable
ALTER TABLE "ModelCall" ADD COLUMN     "estimated" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "purpose" TEXT NOT NULL DEFAULT 'agent',
ALTER COLUMN "costUsd" SET DATA TYPE DECIMAL(20,12);

-- AlterTable
ALTER TABLE "Subtask" ADD COLUMN     "complexity" DOUBLE PRECISION,
ADD COLUMN     "routing" JSONB;

-- CreateTable
CREATE TABLE "ProviderCircuit" (
    "provider" TEXT NOT NULL,
    "consecutiveFailures" INTEGER NOT NULL DEFAULT 0,
    "openedAt" TIMESTAMPTZ(3),
    "openUntil" TIMESTAMPTZ(3),
    "lastFailureAt" TIMESTAMPTZ(3),
    "lastError" TEXT,

    CONSTRAINT "ProviderCircuit_pkey" PRIMARY KEY ("provider")
);

-- CreateIndex
CREATE INDEX "ModelCall_purpose_occurredAt_idx" ON "ModelCall"("purpose", "occurredAt" DESC);
