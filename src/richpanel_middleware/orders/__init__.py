"""Order linkage, order facts, tracking links and delivery estimates for verified replies."""
