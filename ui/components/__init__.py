"""Browser components of the dashboard (st.components.v2; plain JS/CSS files here, no build step)."""
