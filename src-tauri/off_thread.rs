//! Blocking work (SQLite, files, the OS keyring) kept off the async threads that carry the
//! window's other commands and the follow loops.

/// Runs `work` on a blocking thread and gives back its result. When `work` panics, or the
/// runtime stops the task (the app is closing), `stopped` says so in the caller's own error
/// type: the caller answers with an error instead of never answering.
pub async fn off_thread<T, E>(
    work: impl FnOnce() -> Result<T, E> + Send + 'static,
    stopped: impl FnOnce(String) -> E,
) -> Result<T, E>
where
    T: Send + 'static,
    E: Send + 'static,
{
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result,
        Err(join) if join.is_panic() => {
            let panic = join.into_panic();
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".to_string());
            Err(stopped(format!("it failed ({message})")))
        }
        Err(join) => Err(stopped(join.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::off_thread;

    #[tokio::test]
    async fn the_result_comes_back_and_the_work_ran_on_another_thread() {
        let caller = std::thread::current().id();
        let ran_on = off_thread(
            move || Ok::<_, String>(std::thread::current().id()),
            |stopped| stopped,
        )
        .await
        .unwrap();
        assert_ne!(ran_on, caller);
        let refused = off_thread(|| Err::<(), _>("no".to_string()), |s| s).await;
        assert_eq!(refused, Err("no".to_string()));
    }

    #[tokio::test]
    async fn a_panic_in_the_work_is_an_error_the_caller_can_show() {
        let answer = off_thread(
            || -> Result<(), String> { panic!("the work broke") },
            |stopped| format!("stopped: {stopped}"),
        )
        .await;
        assert_eq!(
            answer,
            Err("stopped: it failed (the work broke)".to_string())
        );
    }
}
