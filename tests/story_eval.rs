//! Story clustering against generated, labelled corpora (English and Korean wire copy,
//! republications, reissue chains, hard negatives): the goals are pairwise precision ≥ 0.99 and
//! recall ≥ 0.95. The figures are printed (`cargo test --test story_eval -- --nocapture`).

mod wire_corpus;

use std::time::Duration;

#[test]
fn clustering_meets_its_goals_on_generated_corpora() {
    for seed in [11, 12] {
        let spec = wire_corpus::CorpusSpec {
            seed,
            stories: 300,
            ..Default::default()
        };
        let report = wire_corpus::eval::evaluate(&spec, Duration::from_secs(72 * 3600));
        report.print(&spec);
        report.print_mistakes();
        assert!(
            report.scores.precision >= 0.99,
            "seed {seed}: precision {:.4}",
            report.scores.precision
        );
        assert!(
            report.scores.recall >= 0.95,
            "seed {seed}: recall {:.4}",
            report.scores.recall
        );
    }
}

#[test]
fn without_a_window_nothing_far_apart_joins() {
    // A one-minute window: only items published within a minute of each other may join, so
    // recall collapses while precision stays: the window is applied.
    let spec = wire_corpus::CorpusSpec {
        seed: 13,
        stories: 120,
        ..Default::default()
    };
    let wide = wire_corpus::eval::evaluate(&spec, Duration::from_secs(72 * 3600));
    let narrow = wire_corpus::eval::evaluate(&spec, Duration::from_secs(60));
    assert!(
        narrow.scores.recall < wide.scores.recall * 0.5,
        "{} vs {}",
        narrow.scores.recall,
        wide.scores.recall
    );
    assert!(narrow.predicted_stories > wide.predicted_stories);
}
