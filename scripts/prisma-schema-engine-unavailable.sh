#!/bin/sh
# Stands in for Prisma's native schema engine, which is downloaded from binaries.prisma.sh and so is
# missing on offline machines. `prisma generate` never runs it; Maestro applies and creates
# migrations with the WebAssembly engine instead (npm start, npm run db:migration).
echo "Prisma's native schema engine is not installed here: use 'npm run db:migration -- <name>' to create migrations; 'npm start' applies them." >&2
exit 1
