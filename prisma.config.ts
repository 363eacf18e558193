import { defineConfig } from 'prisma/config';

// `prisma generate` reads this. Migrations are applied by stack/migrations.ts (see there why).
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
});
