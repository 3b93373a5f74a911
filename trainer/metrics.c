/*
 * metrics.c - evaluation of the binary classifier head, with the metric
 * keys and definitions of Estimator's V2 head (formats: eval metrics): AUC
 * over thresholds [-1e-7, 1/(k-1), ..., 1+1e-7] with a prediction positive
 * when above the threshold, ROC by the trapezoid rule, PR by Davis-Goadrich
 * interpolation; precision and recall of class ids at 0.5. Results go to
 * model_dir/eval as an event file, as Estimator.evaluate writes them.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "loader/loader.h"
#include "trainer/model_int.h"
#include "trainer/trainer.h"

static double ratio(double a, double b)
{
    return b > 0 ? a / b : 0.0;
}

void trn_binary_metrics_compute(const float *prob, const float *labels, const float *weights,
                                const float *example_loss, int64_t n, int num_thresholds,
                                trn_binary_metrics *out)
{
    memset(out, 0, sizeof *out);
    int k = num_thresholds < 3 ? 3 : num_thresholds;
    double *tp = calloc((size_t)k, sizeof *tp), *fp = calloc((size_t)k, sizeof *fp);
    double *fn = calloc((size_t)k, sizeof *fn), *tn = calloc((size_t)k, sizeof *tn);
    double *th = calloc((size_t)k, sizeof *th);
    if (!tp || !fp || !fn || !tn || !th)
        goto out;
    th[0] = -1e-7;
    for (int i = 1; i < k - 1; i++)
        th[i] = (double)i / (double)(k - 1);
    th[k - 1] = 1.0 + 1e-7;
    double sw = 0, correct = 0, lab = 0, pred = 0, loss = 0, ctp = 0, cfp = 0, cfn = 0;
    for (int64_t e = 0; e < n; e++) {
        double w = weights ? weights[e] : 1.0, p = prob[e];
        int y = labels[e] > 0.5f, yhat = p > 0.5;
        sw += w;
        correct += w * (y == yhat);
        lab += w * y;
        pred += w * p;
        loss += w * (example_loss ? example_loss[e] : 0.0);
        ctp += w * (y && yhat);
        cfp += w * (!y && yhat);
        cfn += w * (y && !yhat);
        for (int i = 0; i < k; i++) {
            int pos = p > th[i];
            if (y)
                (pos ? tp : fn)[i] += w;
            else
                (pos ? fp : tn)[i] += w;
        }
    }
    out->accuracy = ratio(correct, sw);
    out->label_mean = ratio(lab, sw);
    out->accuracy_baseline = fmax(out->label_mean, 1 - out->label_mean);
    out->prediction_mean = ratio(pred, sw);
    out->average_loss = ratio(loss, sw);
    out->precision = ratio(ctp, ctp + cfp);
    out->recall = ratio(ctp, ctp + cfn);
    double roc = 0, pr = 0;
    for (int i = 0; i + 1 < k; i++) {
        double x0 = ratio(fp[i], fp[i] + tn[i]), x1 = ratio(fp[i + 1], fp[i + 1] + tn[i + 1]);
        double y0 = ratio(tp[i], tp[i] + fn[i]), y1 = ratio(tp[i + 1], tp[i + 1] + fn[i + 1]);
        roc += (x0 - x1) * (y0 + y1) / 2;
        /* interpolate_pr_auc */
        double dtp = tp[i] - tp[i + 1], p0 = tp[i] + fp[i], p1 = tp[i + 1] + fp[i + 1];
        double dp = p0 - p1;
        double slope = dp > 0 ? dtp / dp : 0.0;
        double intercept = tp[i + 1] - slope * p1;
        double r = p0 > 0 && p1 > 0 ? p0 / p1 : 1.0;
        double denom = tp[i + 1] + fn[i + 1];
        if (denom > 0)
            pr += slope * (dtp + intercept * log(r)) / denom;
    }
    out->auc = roc;
    out->auc_precision_recall = pr;
out:
    free(tp);
    free(fp);
    free(fn);
    free(tn);
    free(th);
}
