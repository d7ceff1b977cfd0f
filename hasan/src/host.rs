//! The operating system as `hasan` sees it: commands run with a deadline and files read, behind
//! one small trait so that checks and standby run against recorded outputs in tests.

use std::path::Path;
use std::time::{Duration, Instant};

/// How long any one external command may take.
pub const COMMAND_DEADLINE: Duration = Duration::from_secs(30);

/// What `hasan` asks of the machine.
pub trait Host {
    /// Run a tool (absolute path) with arguments; its stdout, or one line saying what failed
    /// (command, exit code, stderr).
    fn run(&self, tool: &str, args: &[&str]) -> Result<String, String>;
    /// Read a file; `None` if it does not exist or cannot be read.
    fn read(&self, path: &str) -> Option<String> {
        self.read_bytes(path)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    }
    /// Read a binary file; `None` if it does not exist or cannot be read.
    fn read_bytes(&self, path: &str) -> Option<Vec<u8>>;
    /// Wait a little (the real host sleeps; fakes advance their clock).
    fn sleep(&self, d: Duration);
    /// Now (fakes return their own clock).
    fn now(&self) -> Instant;
    /// Write a small state file (standby marker); remove it with `None`.
    fn write(&self, path: &str, contents: Option<&str>) -> Result<(), String>;
}

/// The real machine.
#[derive(Debug, Default)]
pub struct RealHost;

impl Host for RealHost {
    fn run(&self, tool: &str, args: &[&str]) -> Result<String, String> {
        libocf::Command::at(tool)
            .args(args)
            .deadline(Instant::now() + COMMAND_DEADLINE)
            .run()
            .map(|o| o.stdout)
            .map_err(|e| e.to_string())
    }

    fn read_bytes(&self, path: &str) -> Option<Vec<u8>> {
        std::fs::read(path).ok()
    }

    fn sleep(&self, d: Duration) {
        std::thread::sleep(d);
    }

    fn now(&self) -> Instant {
        Instant::now()
    }

    fn write(&self, path: &str, contents: Option<&str>) -> Result<(), String> {
        let p = Path::new(path);
        match contents {
            Some(c) => {
                if let Some(dir) = p.parent() {
                    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
                }
                std::fs::write(p, c).map_err(|e| format!("cannot write {path}: {e}"))
            }
            None => match std::fs::remove_file(p) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    Err(format!("cannot remove {path}: {e}"))
                }
                _ => Ok(()),
            },
        }
    }
}

#[cfg(test)]
pub mod fake {
    //! A host answering from recorded outputs, recording what was asked.

    use super::*;
    use std::cell::{Cell, RefCell};
    use std::collections::BTreeMap;

    /// Commands (`tool arg…` → output or error), files, and a clock.
    #[derive(Debug, Default)]
    pub struct FakeHost {
        /// Command line → stdout (Ok) or error line (Err); a list is answered in turn.
        pub commands: RefCell<BTreeMap<String, Vec<Result<String, String>>>>,
        /// Path → contents.
        pub files: RefCell<BTreeMap<String, String>>,
        /// Binary files.
        pub binary: RefCell<BTreeMap<String, Vec<u8>>>,
        /// Every command line run, in order.
        pub ran: RefCell<Vec<String>>,
        /// Seconds slept in all.
        pub slept: Cell<u64>,
        start: Option<Instant>,
    }

    impl FakeHost {
        /// An empty host.
        pub fn new() -> FakeHost {
            FakeHost {
                start: Some(Instant::now()),
                ..FakeHost::default()
            }
        }
        /// Answer `line` with `out` (repeatable: the last answer stays).
        pub fn answer(self, line: &str, out: Result<&str, &str>) -> Self {
            self.commands
                .borrow_mut()
                .entry(line.to_owned())
                .or_default()
                .push(out.map(str::to_owned).map_err(str::to_owned));
            self
        }
        /// A file.
        pub fn file(self, path: &str, contents: &str) -> Self {
            self.files
                .borrow_mut()
                .insert(path.to_owned(), contents.to_owned());
            self
        }
    }

    impl Host for FakeHost {
        fn run(&self, tool: &str, args: &[&str]) -> Result<String, String> {
            let line = std::iter::once(tool)
                .chain(args.iter().copied())
                .collect::<Vec<_>>()
                .join(" ");
            self.ran.borrow_mut().push(line.clone());
            let mut cmds = self.commands.borrow_mut();
            match cmds.get_mut(&line) {
                Some(answers) if answers.len() > 1 => answers.remove(0),
                Some(answers) => answers[0].clone(),
                None => Err(format!("{line}: not recorded")),
            }
        }
        fn read_bytes(&self, path: &str) -> Option<Vec<u8>> {
            let text = self.files.borrow().get(path).map(|s| s.as_bytes().to_vec());
            text.or_else(|| self.binary.borrow().get(path).cloned())
        }
        fn sleep(&self, d: Duration) {
            self.slept.set(self.slept.get() + d.as_secs().max(1));
        }
        fn now(&self) -> Instant {
            self.start.unwrap_or_else(Instant::now) + Duration::from_secs(self.slept.get())
        }
        fn write(&self, path: &str, contents: Option<&str>) -> Result<(), String> {
            let mut f = self.files.borrow_mut();
            match contents {
                Some(c) => f.insert(path.to_owned(), c.to_owned()),
                None => f.remove(path),
            };
            Ok(())
        }
    }
}
