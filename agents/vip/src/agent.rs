//! `ocf:hasan:vip` as a libocf [`ResourceAgent`]: parameters from the table, actions on netlink.

use libocf::{AgentSpec, Ctx, Health, OcfError, Params, ResourceAgent, Started, Stopped};

use crate::actions;
use crate::config::VipConfig;
use crate::netlink::NetlinkNet;

/// One configured virtual IP.
#[derive(Debug)]
pub struct Vip {
    cfg: VipConfig,
}

impl ResourceAgent for Vip {
    const SPEC: AgentSpec = crate::spec::SPEC;

    fn from_params(params: &Params) -> Result<Self, OcfError> {
        Ok(Vip {
            cfg: VipConfig::from_params(params)?,
        })
    }

    fn validate_local(&self, ctx: &Ctx) -> Result<(), OcfError> {
        actions::validate_local(&NetlinkNet::open()?, &self.cfg, &ctx.budget)
    }

    fn start(&self, ctx: &Ctx) -> Result<Started, OcfError> {
        actions::start(&NetlinkNet::open()?, &self.cfg, &ctx.budget)
    }

    fn stop(&self, ctx: &Ctx) -> Result<Stopped, OcfError> {
        actions::stop(&NetlinkNet::open()?, &self.cfg, &ctx.budget)
    }

    fn monitor(&self, ctx: &Ctx) -> Result<Health, OcfError> {
        actions::monitor(&NetlinkNet::open()?, &self.cfg, &ctx.budget)
    }
}
