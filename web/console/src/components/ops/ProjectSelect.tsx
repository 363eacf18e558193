import { useQuery } from '@tanstack/react-query';
import { useTRPC } from '../../trpc.js';

/** Every project, for a filter; empty value means all of them. */
export function ProjectSelect({
  value,
  onChange,
  label = 'Project',
}: {
  value: string;
  onChange: (project: string) => void;
  label?: string;
}) {
  const trpc = useTRPC();
  const projects = useQuery(trpc.project.list.queryOptions());
  return (
    <label className="ops-field">
      <span>{label}</span>
      <select value={value} onChange={(event) => onChange(event.target.value)} aria-label={label}>
        <option value="">All projects</option>
        {(projects.data ?? []).map((project) => (
          <option key={project.name} value={project.name}>
            {project.name}
          </option>
        ))}
        {value && !projects.data?.some((project) => project.name === value) && <option value={value}>{value}</option>}
      </select>
    </label>
  );
}
