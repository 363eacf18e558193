import { PageHeader } from '../components/PageHeader.js';

export function BoardPage() {
  return (
    <div className="page">
      <PageHeader title="Board" subtitle="Every subtask by status." />
    </div>
  );
}
