//! The limits a mode puts on a demo, said where they apply: `+` in
//! processes mode stops at the shared region's worker slots, with a notice,
//! and the title never counts workers that do not run.

mod common;

use common::{Tmux, bin, tmux_available};

#[test]
fn plus_stops_at_the_processes_modes_limit_with_a_notice() {
    let _cores = common::one_at_a_time();
    if !tmux_available() {
        return;
    }
    let tmux = Tmux::start("limits", 120, 40);
    let done = tmux.file("done");
    // 62 producers leave 2 of the 64 worker slots to the consumers, which
    // `+` scales: there is no room for a third.
    tmux.type_line(&format!(
        "{} demo producer-consumer --mode processes --producers 62 --consumers 2 \
         --interval 200; echo $? > {}",
        bin(),
        done.display()
    ));
    // The title counts the lanes that run: 62 producers and 2 consumers.
    tmux.wait_for("processes mode · 64 workers");
    tmux.send(&["+"]);
    let screen = tmux.wait_for("processes mode runs at most 2 consumers here");
    assert!(
        screen.contains("processes mode · 64 workers"),
        "expected the title to keep counting the 64 workers that run after +:\n{screen}"
    );
    tmux.send(&["q"]);
    assert_eq!(tmux.read_when_written(&done).trim(), "0");
}
