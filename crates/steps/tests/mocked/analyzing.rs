//! The Analyzer, and the error types the state machine matches.

use super::*;

#[test]
fn step_errors_are_typed_for_the_state_machine() {
    let e = StepError::InvocationError("x".into());
    assert_eq!(
        lambda_runtime::Diagnostic::from(e).error_type,
        "PowerTuning.InvocationError"
    );
}

#[test]
fn analyzer_reads_the_state_after_the_map() {
    use powertune_core::analysis::AnalysisEnv;
    use powertune_steps::analyzer::analyze;
    use powertune_steps::events::AnalyzerEvent;
    let state = json!({
        "input": {"lambdaARN": ARN, "num": 5, "powerValues": [128, 256], "strategy": "speed", "includeOutputResults": true},
        "function": serde_json::to_value(snapshot()).unwrap(),
        "publisherRounds": 2,
        "stats": [
            {"value": 128, "averagePrice": 1e-7, "averageDuration": 40.0, "totalCost": 5e-7},
            {"value": 256, "averagePrice": 2e-7, "averageDuration": 20.0, "totalCost": 1e-6}
        ]
    });
    let event: AnalyzerEvent = serde_json::from_value(state).unwrap();
    let env = AnalysisEnv::new(Some("cn-north-1".into()), Some("https://ui/".into()));
    let result = analyze(&event, &env).unwrap();
    assert_eq!(result.power, 256);
    assert_eq!(result.stats.as_ref().map(Vec::len), Some(2));
    // 2 power values in one sampling round (no "sampling" given), 2 Publisher rounds:
    // 5 + 4 + (3 + 2) = 14 transitions at CNY 0.0001891
    assert!((result.state_machine.execution_cost - 14.0 * 0.0001891).abs() < 1e-12);
    assert!(result
        .state_machine
        .visualization
        .starts_with("https://ui/?currency=CNY#"));

    let none_ok: AnalyzerEvent = serde_json::from_value(json!({
        "input": {"lambdaARN": ARN, "num": 5, "powerValues": [128]},
        "stats": [{"value": 128, "averagePrice": 0, "averageDuration": 0, "totalCost": 0, "error": "Runtime.OutOfMemory"}]
    }))
    .unwrap();
    let err = analyze(&none_ok, &env).unwrap_err();
    assert_eq!(err.error_type(), "PowerTuning.AnalysisFailed");
}
