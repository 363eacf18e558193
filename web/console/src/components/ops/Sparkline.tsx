/** Runs per time bucket as a small bar chart; failed runs in red on top of the rest. */
export function Sparkline({
  series,
  label,
}: {
  series: Array<{ at: string; runs: number; failed: number }>;
  label: string;
}) {
  const width = 180;
  const height = 36;
  const max = Math.max(1, ...series.map((point) => point.runs));
  const step = width / Math.max(1, series.length);
  return (
    <svg
      className="ops-spark"
      viewBox={`0 0 ${width} ${height}`}
      preserveAspectRatio="none"
      role="img"
      aria-label={label}
    >
      <line x1="0" y1={height - 0.5} x2={width} y2={height - 0.5} className="ops-spark-base" />
      {series.map((point, index) => {
        if (point.runs === 0) return null;
        const total = Math.max(1.5, (point.runs / max) * (height - 2));
        const failed = (point.failed / max) * (height - 2);
        return (
          <g key={point.at}>
            <title>{`${new Date(point.at).toLocaleTimeString()}: ${point.runs} run(s)${point.failed ? `, ${point.failed} failed` : ''}`}</title>
            <rect
              x={index * step + 0.5}
              y={height - total}
              width={Math.max(1, step - 1)}
              height={total}
              className="ops-spark-ok"
            />
            {failed > 0 && (
              <rect
                x={index * step + 0.5}
                y={height - total}
                width={Math.max(1, step - 1)}
                height={failed}
                className="ops-spark-bad"
              />
            )}
          </g>
        );
      })}
    </svg>
  );
}
