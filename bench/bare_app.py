"""The navigation floor for bench/browser.py: a Streamlit app with one sidebar button and a title, nothing else."""

import streamlit as st

st.sidebar.button("Start")
st.title("A bare Streamlit page")
