-- AlterTable
ALTER TABLE "ModelCall" ADD COLUMN     "reservedUsd" DECIMAL(20,12),
ADD COLUMN     "settleBy" TIMESTAMPTZ(3);

-- CreateIndex
CREATE INDEX "ModelCall_outcome_settleBy_idx" ON "ModelCall"("outcome", "settleBy");
