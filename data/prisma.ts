import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client.js';

export { Prisma, PrismaClient } from '../generated/prisma/client.js';

const clients = new Map<string, PrismaClient>();

/** The one Prisma client of this process for a database (Prisma 7 with the `pg` driver adapter). */
export function prismaFor(databaseUrl: string): PrismaClient {
  let client = clients.get(databaseUrl);
  if (!client) {
    client = new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl, max: 10 }) });
    clients.set(databaseUrl, client);
  }
  return client;
}

export async function disconnectPrisma(): Promise<void> {
  await Promise.all([...clients.values()].map((client) => client.$disconnect()));
  clients.clear();
}
