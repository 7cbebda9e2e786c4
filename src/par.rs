//! Data parallelism for the work that scales with the registry (loading, validating and
//! verifying every skill): a slice mapped on a few scoped threads, results in order.

/// `f` over `items` on up to 8 threads (one when the machine has one core or there are few
/// items), results in the order of `items`. A panic in `f` is raised again here.
pub(crate) fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let Some(chunk) = chunk_size(items.len()) else {
        return items.iter().map(f).collect();
    };
    let f = &f;
    run_parts(items.chunks(chunk).collect(), |part: &[T]| {
        part.iter().map(f).collect()
    })
}

/// How many items each thread takes, or `None` to work on this thread alone.
fn chunk_size(len: usize) -> Option<usize> {
    if len < 64 {
        return None;
    }
    // Asked once per process: the answer reads the cgroup files under /proc and /sys.
    static THREADS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    let threads = *THREADS.get_or_init(|| {
        std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(8)
    });
    (threads > 1).then(|| len.div_ceil(threads))
}

/// `work` over each part on its own scoped thread; the results joined in the parts' order.
fn run_parts<P: Send, R: Send>(parts: Vec<P>, work: impl Fn(P) -> Vec<R> + Sync) -> Vec<R> {
    let work = &work;
    std::thread::scope(|scope| {
        let handles: Vec<_> = parts
            .into_iter()
            .map(|part| spawn(scope, move || work(part)))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| match h {
                Part::Thread(h) => match h.join() {
                    Ok(part) => part,
                    Err(panic) => std::panic::resume_unwind(panic),
                },
                Part::Done(part) => part,
            })
            .collect()
    })
}

/// A part's results: still being computed on a thread, or computed here (no thread could be
/// started).
enum Part<'scope, R> {
    Thread(std::thread::ScopedJoinHandle<'scope, Vec<R>>),
    Done(Vec<R>),
}

/// Runs `work` on a scoped thread with the main thread's stack size (8 MiB: the parsers
/// under it recurse), or here when no thread can be started.
fn spawn<'scope, R: Send + 'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    work: impl FnOnce() -> Vec<R> + Send + 'scope,
) -> Part<'scope, R> {
    let work = std::sync::Arc::new(std::sync::Mutex::new(Some(work)));
    let shared = std::sync::Arc::clone(&work);
    let spawned = std::thread::Builder::new()
        .stack_size(8 << 20)
        .spawn_scoped(scope, move || {
            take(&shared).map(|w| w()).unwrap_or_default()
        });
    match spawned {
        Ok(handle) => Part::Thread(handle),
        // The thread never ran: the work is still here.
        Err(_) => Part::Done(take(&work).map(|w| w()).unwrap_or_default()),
    }
}

fn take<W>(work: &std::sync::Mutex<Option<W>>) -> Option<W> {
    work.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .take()
}

/// [`map`] over owned items.
pub(crate) fn map_owned<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    let Some(chunk) = chunk_size(items.len()) else {
        return items.into_iter().map(f).collect();
    };
    let mut parts: Vec<Vec<T>> = Vec::new();
    let mut items = items.into_iter();
    loop {
        let part: Vec<T> = items.by_ref().take(chunk).collect();
        if part.is_empty() {
            break;
        }
        parts.push(part);
    }
    let f = &f;
    run_parts(parts, |part: Vec<T>| part.into_iter().map(f).collect())
}

#[cfg(test)]
mod tests {
    #[test]
    fn keeps_the_order() {
        let items: Vec<usize> = (0..1000).collect();
        assert_eq!(
            super::map(&items, |i| i * 2),
            items.iter().map(|i| i * 2).collect::<Vec<_>>()
        );
        assert!(super::map(&[] as &[u8], |b| *b).is_empty());
        let doubled: Vec<usize> = items.iter().map(|i| i * 2).collect();
        assert_eq!(super::map_owned(items, |i| i * 2), doubled);
    }
}
