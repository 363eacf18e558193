/** A failed request, said plainly: what could not be loaded, the server's reason, and a retry. */
export function ApiError({
  what,
  error,
  onRetry,
}: {
  what: string;
  error: { message: string } | null;
  onRetry?: () => void;
}) {
  const message = error?.message ?? 'unknown error';
  const unreachable = /fetch|network|Failed to|ECONNREFUSED|Load failed/i.test(message);
  return (
    <div className="ops-error" role="alert">
      <div>
        <strong>Could not load {what}.</strong>{' '}
        {unreachable ? (
          <>
            The Maestro API does not answer. Is <code>npm start</code> running?
          </>
        ) : (
          <>The server said: {message}</>
        )}
      </div>
      {onRetry && (
        <button type="button" className="ops-button" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}
