#include "net/transport/policy.h"

void rb_policy_from_config(struct rb_policy *p, const struct rb_config *c)
{
	p->insecure = c->insecure;
	p->remote_calls = c->remote_calls;
	p->reflect_guard = !c->allow_amplification;
	p->reflect_drop = c->udp_refuse_drop;
	p->trusted = c->trusted;
	p->ntrusted = c->ntrusted;
	p->port_policy = c->port_policy;
	p->owner_quota = c->owner_quota;
	p->max_registrations = c->max_registrations;
}
