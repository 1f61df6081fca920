"""The dashboard in a real headless browser (Debian's chromium, driven through chromium-driver with Selenium):
the page loads, shows the placement, and a chat message typed into it gets an answer."""
import json
import os
import urllib.request

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait


@pytest.fixture(scope="module")
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1400,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def test_page_shows_placement_and_answers_a_chat_message(browser, server):
    with urllib.request.urlopen(server["url"] + "/v1/status") as r:
        status = json.load(r)
    browser.get(server["url"] + "/")
    wait = WebDriverWait(browser, 60)
    # The placement: one cell per block, every layer, on the one local device.
    cells = lambda d: d.execute_script(
        "return Array.from(document.querySelectorAll('#placement td.cell')).map(c => c.dataset.device)")
    wait.until(lambda d: len(cells(d)) == len(status["placement"]))
    devices_of_cells = cells(browser)
    assert len(devices_of_cells) == status["layers"] * (status["groupsPerLayer"] + 2)
    assert set(devices_of_cells) == {"0"}
    devices = browser.find_element(By.ID, "devices").text
    assert "up" in devices and status["devices"][0]["name"] in devices
    assert browser.find_element(By.ID, "model").text == server["model"]

    # A chat message gets an answer, streamed into the page.
    box = browser.find_element(By.ID, "chat-input")
    box.send_keys("What is the capital of France?")
    browser.find_element(By.ID, "chat-send").click()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".msg.assistant[data-state='done']"))
    answer = browser.find_element(By.CSS_SELECTOR, ".msg.assistant span").text
    assert answer.strip(), "the assistant's answer is empty"
    assert browser.find_element(By.ID, "chat-state").text == ""
    # The latency plot fills in from the tokens just generated.
    wait.until(lambda d: "tokens: median" in d.find_element(By.ID, "latency-note").text)
    assert browser.find_elements(By.CSS_SELECTOR, "#latency polyline")
    shot = os.environ.get("HEADWAY_DASHBOARD_SCREENSHOT")
    if shot:
        browser.save_screenshot(shot)
