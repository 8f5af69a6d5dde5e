//! The terminal desk. Keys become actions, actions go through the desk, the screen is drawn
//! from the resulting state. Nothing here writes SQL or decides a rule.

pub mod action;
pub mod app;
mod background;
pub mod calendar;
pub mod cmdb;
pub mod dashboard;
pub mod drafts;
mod events;
pub mod goto;
pub mod input;
pub mod keymap;
pub mod panes;
pub mod queue;
mod sync;
pub mod theme;
mod ticket;
pub mod ui;
pub mod widgets;
mod write;
mod writer;

use std::io::Write;
use std::time::{Duration, Instant};

use chrono::Utc;
use ratatui::DefaultTerminal;
use ratatui::crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture, Event, MouseButton,
    MouseEventKind,
};
use ratatui::crossterm::execute;

use app::{App, Mode, Status};
use input::{Effect, handle_key, handle_paste};
use keymap::Keymap;

use crate::desk::Desk;

/// How often the clock moves on and the desk is checked for other operators' writes.
const TICK: Duration = Duration::from_secs(1);

/// How often the screen is drawn while a write is under way, for the spinner.
const SPINNER_FRAME: Duration = Duration::from_millis(100);

/// Runs the terminal desk until the operator quits. The terminal is restored on every way
/// out, panics included (ratatui's hook).
pub fn run(mut desk: Desk) -> Result<(), String> {
    let keymap = Keymap::with_overrides(&desk.config().keys).map_err(|e| format!("config.toml [keys]: {e}"))?;
    let notices = desk.take_notices();
    let desk_path = desk.place().clone();
    let mut app = App::new(desk, keymap, Utc::now()).map_err(|e| e.to_string())?;
    // Drafts live in the operator's own data folder, never beside a shared desk.
    app.drafts = crate::config::Paths::discover()
        .ok()
        .map(|p| drafts::Drafts::new(p.data_dir.join("drafts"), &desk_path));
    if !notices.is_empty() {
        app.say(notices.join(" · "));
    }
    let theme = theme::Theme::from_env(app.desk.config().theme.as_deref());
    let mouse = app.desk.config().mouse;
    let mut terminal = ratatui::try_init().map_err(|e| format!("cannot open the terminal: {e}"))?;
    // ratatui's panic hook restores the screen; this one also gives back the mouse and
    // bracketed paste.
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = execute!(std::io::stdout(), DisableMouseCapture, DisableBracketedPaste);
        previous(info);
    }));
    // A paste arrives as one piece of text, never as keys (a pasted log must not assign
    // tickets).
    let _ = execute!(std::io::stdout(), EnableBracketedPaste);
    if mouse {
        let _ = execute!(std::io::stdout(), EnableMouseCapture);
    }
    let result = event_loop(&mut terminal, &mut app, &theme);
    let _ = execute!(std::io::stdout(), DisableBracketedPaste);
    if mouse {
        let _ = execute!(std::io::stdout(), DisableMouseCapture);
    }
    let restored = ratatui::try_restore();
    result.map_err(|e| e.to_string())?;
    restored.map_err(|e| format!("cannot restore the terminal: {e}"))
}

fn event_loop(terminal: &mut DefaultTerminal, app: &mut App, theme: &theme::Theme) -> std::io::Result<()> {
    let events = events::Events::start();
    // On a server, other hosts' commits wake the loop as they are heard.
    app.desk.watch(events::wake);
    let mut last_tick = Instant::now();
    while !app.quit {
        terminal.draw(|f| ui::draw(f, app, theme))?;
        app.start_background();
        // Debug builds only: lets the end-to-end test prove that a panic gives the terminal
        // back before its message is printed. Release builds have no such switch.
        #[cfg(debug_assertions)]
        if std::env::var_os("OPSDESK_DEBUG_PANIC").is_some() {
            panic!("deliberate panic (OPSDESK_DEBUG_PANIC) to test terminal restore");
        }
        // Sleep until a key, a finished piece of background work, or the next tick (or the
        // spinner's next frame while a write is under way).
        let mut sleep = TICK.saturating_sub(last_tick.elapsed());
        if app.writes_pending() {
            sleep = sleep.min(SPINNER_FRAME);
        }
        if let Some(start) = app.background_starts_in() {
            sleep = sleep.min(start);
        }
        match events.next(sleep)? {
            Some(events::Wake::Terminal(event)) => match event {
                Event::Key(key) if handle_key(app, key) == Effect::Editor => {
                    events.pause();
                    let edited = edit_in_editor(terminal, app);
                    events.resume();
                    edited?;
                }
                Event::Key(_) => {}
                Event::Paste(text) => handle_paste(app, &text),
                Event::Resize(..) => terminal.autoresize()?,
                Event::Mouse(m) => match m.kind {
                    MouseEventKind::Down(MouseButton::Left) => app.click(m.column, m.row),
                    MouseEventKind::ScrollDown => app.scroll(true),
                    MouseEventKind::ScrollUp => app.scroll(false),
                    _ => {}
                },
                _ => {}
            },
            Some(events::Wake::Background) => {
                if let Err(e) = app.pick_up_changes() {
                    app.status = Some(Status {
                        text: e.to_string(),
                        error: true,
                    });
                }
            }
            Some(events::Wake::Failed(e)) => return Err(e),
            None => {}
        }
        app.poll_background();
        if last_tick.elapsed() >= TICK {
            last_tick = Instant::now();
            if let Err(e) = app.tick(Utc::now()) {
                app.status = Some(Status {
                    text: e.to_string(),
                    error: true,
                });
            }
        }
    }
    // Writes still under way are finished before the terminal is given back (a refused
    // one keeps its text as a draft); the footer says what is being waited for.
    if app.writes_pending() {
        terminal.draw(|f| ui::draw(f, app, theme))?;
        app.finish_writes();
    }
    Ok(())
}

/// Hands the focused text field to `$VISUAL` or `$EDITOR` (else `vi`), the way `git commit`
/// does, and takes back what was saved. The file name goes to the editor as an argument.
fn edit_in_editor(terminal: &mut DefaultTerminal, app: &mut App) -> std::io::Result<()> {
    let Mode::Form(form) = &mut app.mode else { return Ok(()) };
    let Some(text) = form.focused_text() else {
        return Ok(());
    };
    let editor = std::env::var("VISUAL")
        .ok()
        .or_else(|| std::env::var("EDITOR").ok())
        .filter(|e| !e.trim().is_empty())
        .unwrap_or_else(|| "vi".to_string());
    let path = std::env::temp_dir().join(format!(
        "opsdesk-{}-{}.txt",
        std::process::id(),
        Utc::now().timestamp_millis()
    ));
    {
        let mut f = std::fs::OpenOptions::new().write(true).create_new(true).open(&path)?;
        f.write_all(text.as_bytes())?;
    }
    ratatui::try_restore()?;
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("opsdesk-editor")
        .arg(&path)
        .status();
    *terminal = ratatui::try_init()?;
    terminal.clear()?;
    match status {
        Ok(s) if s.success() => {
            let edited = std::fs::read_to_string(&path)?;
            form.set_focused_text(edited.trim_end_matches('\n'));
        }
        Ok(s) => form.error = Some(format!("the editor exited with {s}; the text is as it was")),
        Err(e) => form.error = Some(format!("cannot run `{editor}`: {e}")),
    }
    let _ = std::fs::remove_file(&path);
    Ok(())
}
