//! Analyzer: picks the optimal power value and builds the result document.

use crate::error::StepError;
use crate::events::AnalyzerEvent;
use powertune_core::analysis::AnalysisEnv;
use powertune_core::output::TuningResult;

/// Where an analysis runs, from this process's settings: `visualizationURL` (as the template
/// sets it) and `region`, the tool's region. Local runs and `powertune analyze` use it too.
pub fn analysis_env(region: Option<String>) -> AnalysisEnv {
    AnalysisEnv::new(region, std::env::var("visualizationURL").ok())
}

#[tracing::instrument(skip_all, fields(step = "analyzer"))]
/// Analyzes the state after the Map: the result document, or `PowerTuning.AnalysisFailed`.
pub fn analyze(event: &AnalyzerEvent, env: &AnalysisEnv) -> Result<TuningResult, StepError> {
    let result = event
        .analyze(env)
        .map_err(|e| StepError::AnalysisFailed(e.to_string()))?;
    tracing::info!(power = result.power, strategy = %result.strategy, "optimal power value");
    Ok(result)
}
