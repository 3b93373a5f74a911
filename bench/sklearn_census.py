#!/usr/bin/python3
"""sklearn_census.py - the scikit-learn baseline of bench_train.sh.

Trains scikit-learn's LogisticRegression and MLPClassifier on the UCI Adult
(census income) data as TensorFlow's wide-and-deep census example encodes
it, and prints one JSON line per model on stdout.

Features (--features onehot, the default): one-hot workclass, education,
marital_status, relationship and occupation (categories seen in training;
unseen ones in the test file encode as all zeros), age bucketized at
18, 25, 30, 35, 40, 45, 50, 55, 60, 65 and one-hot, and age, education_num,
capital_gain, capital_loss, hours_per_week standardized with the training
set's mean and standard deviation. --features numeric keeps only the five
standardized numeric columns (the columns of models/census_dnn). The label
is income_bracket == ">50K" (the test file's labels end with '.').

Models: LogisticRegression (lbfgs, max_iter 1000: run to convergence) and
MLPClassifier(hidden_layer_sizes=(100, 75, 50, 25), batch_size=40,
max_iter=EPOCHS, adam, random_state=42; n_iter_no_change above EPOCHS so
all EPOCHS epochs run). Only fit() is timed. examples/s is
n_train * n_iter_ / seconds: epochs for the MLP, and for LogisticRegression
lbfgs iterations (each one a full pass over the training data, possibly
more than one with line search), so it is a pass rate, not an epoch rate.

usage: bench/sklearn_census.py DATA_DIR [--epochs N] [--features onehot|numeric]
                               [--models lr,mlp]
"""
import argparse
import csv
import json
import os
import sys
import time
import warnings

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import OneHotEncoder, StandardScaler

COLUMNS = ["age", "workclass", "fnlwgt", "education", "education_num",
           "marital_status", "occupation", "relationship", "race", "gender",
           "capital_gain", "capital_loss", "hours_per_week", "native_country",
           "income_bracket"]
CATEGORICAL = ["workclass", "education", "marital_status", "relationship", "occupation"]
NUMERIC = ["age", "education_num", "capital_gain", "capital_loss", "hours_per_week"]
AGE_BOUNDARIES = [18, 25, 30, 35, 40, 45, 50, 55, 60, 65]


def read(path):
    """Columns of the CSV file as lists of stripped strings, and the labels."""
    cols = {c: [] for c in COLUMNS}
    with open(path, newline="") as f:
        for row in csv.reader(f, skipinitialspace=True):
            if len(row) != len(COLUMNS):
                continue  # the empty last line
            for c, v in zip(COLUMNS, row):
                cols[c].append(v.strip())
    labels = np.array([v.rstrip(".") == ">50K" for v in cols["income_bracket"]], dtype=np.int64)
    return cols, labels


def features(train, test, kind):
    num_tr = np.array([[float(v) for v in train[c]] for c in NUMERIC]).T
    num_te = np.array([[float(v) for v in test[c]] for c in NUMERIC]).T
    scaler = StandardScaler().fit(num_tr)
    parts_tr, parts_te = [scaler.transform(num_tr)], [scaler.transform(num_te)]
    if kind == "onehot":
        cat_tr = np.array([train[c] for c in CATEGORICAL]).T
        cat_te = np.array([test[c] for c in CATEGORICAL]).T
        enc = OneHotEncoder(handle_unknown="ignore").fit(cat_tr)
        parts_tr.append(enc.transform(cat_tr).toarray())
        parts_te.append(enc.transform(cat_te).toarray())
        nb = len(AGE_BOUNDARIES) + 1
        for src, dst in ((num_tr, parts_tr), (num_te, parts_te)):
            bucket = np.digitize(src[:, 0], AGE_BOUNDARIES)  # bucket i: boundaries[i-1] <= age < boundaries[i]
            dst.append(np.eye(nb)[bucket])
    return np.hstack(parts_tr), np.hstack(parts_te)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("data_dir", help="directory holding adult.data.csv and adult.test.csv")
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--features", choices=["onehot", "numeric"], default="onehot")
    ap.add_argument("--models", default="lr,mlp")
    a = ap.parse_args()
    train, y_tr = read(os.path.join(a.data_dir, "adult.data.csv"))
    test, y_te = read(os.path.join(a.data_dir, "adult.test.csv"))
    x_tr, x_te = features(train, test, a.features)
    n = x_tr.shape[0]
    warnings.simplefilter("ignore", ConvergenceWarning)
    for name in a.models.split(","):
        if name == "lr":
            model = LogisticRegression(max_iter=1000)
            label = "LogisticRegression"
        elif name == "mlp":
            model = MLPClassifier(hidden_layer_sizes=(100, 75, 50, 25), batch_size=40,
                                  max_iter=a.epochs, n_iter_no_change=a.epochs + 1,
                                  random_state=42)
            label = "MLPClassifier(100,75,50,25)"
        else:
            sys.exit("sklearn_census: unknown model '%s' (lr, mlp)" % name)
        t0 = time.perf_counter()
        model.fit(x_tr, y_tr)
        secs = time.perf_counter() - t0
        iters = int(np.max(model.n_iter_))
        acc = float(np.mean(model.predict(x_te) == y_te))
        print(json.dumps({
            "model": label, "tool": "sklearn " + sklearn.__version__,
            "features": a.features, "n_features": int(x_tr.shape[1]),
            "n_train": n, "n_test": int(x_te.shape[0]),
            "n_iter": iters, "iter_kind": "lbfgs iterations" if name == "lr" else "epochs",
            "accuracy": round(acc, 4), "seconds": round(secs, 3),
            "examples_per_sec": round(n * iters / secs, 1),
        }), flush=True)


if __name__ == "__main__":
    main()
