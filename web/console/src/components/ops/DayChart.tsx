export interface DayPoint {
  day: string;
  value: number;
  text: string;
}

/** One bar per day (UTC), gaps included, with a label on every few days. */
export function DayChart({ points, testId }: { points: DayPoint[]; testId?: string }) {
  const max = Math.max(0, ...points.map((point) => point.value));
  const every = Math.ceil(points.length / 10);
  return (
    <div className="daychart" data-testid={testId}>
      <div className="daychart-bars">
        {points.map((point) => (
          <div key={point.day} className="daychart-col" title={`${point.day}: ${point.text}`}>
            <div
              className={`daychart-bar${point.value > 0 ? '' : ' zero'}`}
              style={{ height: max > 0 ? `${Math.max(point.value > 0 ? 3 : 0, (point.value / max) * 100)}%` : '0' }}
            />
          </div>
        ))}
      </div>
      <div className="daychart-axis">
        {points.map((point, index) => (
          <span key={point.day}>{index % every === 0 || index === points.length - 1 ? point.day.slice(5) : ''}</span>
        ))}
      </div>
    </div>
  );
}
