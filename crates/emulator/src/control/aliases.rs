//! Aliases: create, read, repoint, delete and list them.

use super::{parse_function_ref, Alias, ControlPlane};
use crate::error::{ApiError, ApiResult};
use crate::requests;
use serde_json::{json, Value};

impl ControlPlane {
    /// CreateAlias.
    pub fn create_alias(
        &mut self,
        reference: &str,
        body: &requests::CreateAlias,
    ) -> ApiResult<Value> {
        let (name, _) = parse_function_ref(reference)?;
        let alias = body
            .name
            .clone()
            .ok_or_else(|| ApiError::invalid("Name is required"))?;
        let version = body
            .function_version
            .clone()
            .ok_or_else(|| ApiError::invalid("FunctionVersion is required"))?;
        let f = self.function_mut(&name)?;
        if f.aliases.contains_key(&alias) {
            return Err(ApiError::conflict(format!(
                "Alias already exists: {}",
                alias
            )));
        }
        Self::check_version(f, &version)?;
        f.aliases.insert(
            alias.clone(),
            Alias {
                name: alias.clone(),
                version,
                description: body.description.clone().unwrap_or_default(),
                revision: 1,
            },
        );
        self.alias_json(&name, &alias)
    }

    /// GetAlias.
    pub fn get_alias(&self, reference: &str, alias: &str) -> ApiResult<Value> {
        self.alias_json(&parse_function_ref(reference)?.0, alias)
    }

    /// UpdateAlias.
    pub fn update_alias(
        &mut self,
        reference: &str,
        alias: &str,
        body: &requests::UpdateAlias,
    ) -> ApiResult<Value> {
        let (name, _) = parse_function_ref(reference)?;
        let f = self.function_mut(&name)?;
        if let Some(v) = &body.function_version {
            Self::check_version(f, v)?;
        }
        let arn_alias = format!("{}:{alias}", f.name);
        let a = f
            .aliases
            .get_mut(alias)
            .ok_or_else(|| ApiError::not_found(format!("Alias not found: {arn_alias}")))?;
        if let Some(v) = &body.function_version {
            a.version = v.clone();
        }
        if let Some(d) = &body.description {
            a.description = d.clone();
        }
        a.revision += 1;
        self.alias_json(&name, alias)
    }

    /// DeleteAlias.
    pub fn delete_alias(&mut self, reference: &str, alias: &str) -> ApiResult<()> {
        let (name, _) = parse_function_ref(reference)?;
        let f = self.function_mut(&name)?;
        // Lambda answers 204 whether or not the alias existed.
        f.aliases.remove(alias);
        Ok(())
    }

    /// ListAliases.
    pub fn list_aliases(&self, reference: &str) -> ApiResult<Value> {
        let (name, _) = parse_function_ref(reference)?;
        let f = self.function(&name)?;
        let aliases: ApiResult<Vec<Value>> = f
            .aliases
            .keys()
            .map(|a| self.alias_json(&name, a))
            .collect();
        Ok(json!({ "Aliases": aliases? }))
    }

    pub(super) fn alias_json(&self, name: &str, alias: &str) -> ApiResult<Value> {
        let f = self.function(name)?;
        let a = f.aliases.get(alias).ok_or_else(|| {
            ApiError::not_found(format!("Alias not found: {}:{alias}", f.arn(&self.region)))
        })?;
        Ok(json!({
            "AliasArn": format!("{}:{}", f.arn(&self.region), a.name),
            "Name": a.name,
            "FunctionVersion": a.version,
            "Description": a.description,
            "RevisionId": format!("{:08x}-0000-4000-8000-{:012x}", a.revision, a.revision),
        }))
    }
}
