import { useParams } from 'react-router';
import { PageHeader } from '../components/PageHeader.js';

export function SubtaskPage() {
  const { project, key } = useParams();
  return (
    <div className="page">
      <PageHeader title={`${project}/${key}`} />
    </div>
  );
}
